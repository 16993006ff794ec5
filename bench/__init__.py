"""Performance benchmarks for Marquee.

Run ``python -m bench --list`` to see them and ``python -m bench NAME`` to run one. Every
benchmark prints one JSON object on stdout (see docs/benchmarks.md for the fields) and
writes progress to stderr. Performance is measured here, never by timed tests.

A benchmark is a public module ``bench/<name>.py`` with ``add_arguments(parser)`` and
``run(args) -> dict``; the runner finds it automatically. Modules whose names start with an
underscore are helpers, not benchmarks.
"""
