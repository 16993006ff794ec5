"""``manage.py forget_check EMAIL_OR_TOMBSTONE [--phone P] [--name N]``: prove erasure."""

import json

from django.core.management.base import BaseCommand, CommandError

from privacy.services import forget


class Command(BaseCommand):
    help = (
        "Search every text-like column of every table, the cache, the media and export "
        "folders and the usage buffer for a member's identifiers. Exits non-zero on any hit, "
        "naming where (table.column and counts), never the values."
    )

    def add_arguments(self, parser):
        parser.add_argument("member", help="email address, or the tombstone id of an erasure")
        parser.add_argument(
            "--phone", action="append", default=[], help="a phone number to look for too"
        )
        parser.add_argument(
            "--name",
            action="append",
            default=[],
            help="a name to look for too (common names match other people: use full names)",
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, member: str, phone: list, name: list, **options):
        try:
            report = forget.check(member, phones=phone, names=name)
        except (LookupError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "clean": report.clean,
                        "mode": report.mode,
                        "hits": [
                            {"where": h.where, "location": h.location, "count": h.count}
                            for h in report.hits
                        ],
                        "searched": {
                            "tables": report.searched_tables,
                            "columns": report.searched_columns,
                            "cache_entries": report.searched_cache_entries,
                            "files": report.searched_files,
                        },
                    },
                    indent=2,
                )
            )
        else:
            self.stdout.write(
                f"Searched {report.searched_tables} tables ({report.searched_columns} text "
                f"columns), {report.searched_cache_entries} cache entries and "
                f"{report.searched_files} files for {len(report.identifiers.texts)} identifiers"
                + (" and the account id" if report.identifiers.user_id is not None else "")
                + "."
            )
        if not report.clean:
            if not options["json"]:
                for hit in report.hits:
                    self.stdout.write(f"FOUND {hit}")
            raise CommandError(f"{len(report.hits)} places still hold this member's data.")
        if not options["json"]:
            self.stdout.write(self.style.SUCCESS("Nothing of this member was found."))
