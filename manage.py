#!/usr/bin/env python3
"""Django's command-line utility for Marquee.

Run with any Python 3.11+ on a fresh machine: when the project's virtual environment
(``.venv``) is missing or older than ``uv.lock``, it is created from the lock first, and
the command then re-runs inside it. So ``python3 manage.py start`` and
``python3 manage.py test`` need nothing installed by hand.
"""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".marquee-lock.sha256"
UV_VERSION = "0.13.9"


def _lock_digest() -> str:
    return hashlib.sha256((ROOT / "uv.lock").read_bytes()).hexdigest()


def _provision() -> None:
    """Create or update ``.venv`` so that it matches ``uv.lock`` exactly."""
    print("Preparing the project environment from uv.lock ...", file=sys.stderr, flush=True)
    if not VENV_PYTHON.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    uv = VENV / "bin" / "uv"
    if not uv.exists():
        subprocess.run(
            [str(VENV_PYTHON), "-m", "pip", "install", "--quiet", f"uv=={UV_VERSION}"],
            check=True,
        )
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "VIRTUAL_ENV": str(VENV)}
    subprocess.run(
        [str(uv), "sync", "--frozen", "--python", str(VENV_PYTHON)],
        check=True,
        cwd=ROOT,
        env=env,
    )
    STAMP.write_text(_lock_digest())


def _ensure_environment() -> None:
    """Re-execute inside ``.venv`` unless already there (or told not to)."""
    if os.environ.get("MARQUEE_NO_BOOTSTRAP") == "1":
        return
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    if not STAMP.exists() or STAMP.read_text() != _lock_digest():
        _provision()
    os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), str(Path(__file__).resolve()), *sys.argv[1:]])


def main() -> None:
    _ensure_environment()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cinema.settings.base")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
