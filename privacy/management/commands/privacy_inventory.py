"""``manage.py privacy_inventory [--json]``: the record of processing, from the registry."""

import json

from django.core.management.base import BaseCommand

from privacy.services.inventory import inventory_rows

COLUMNS = ["model", "field", "category", "erasure", "retention", "legal_basis", "recipients"]


class Command(BaseCommand):
    help = "Print every declared personal field: category, erasure, retention, legal basis."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")

    def handle(self, *args, json: bool = False, **options):
        rows = [row.as_dict() for row in inventory_rows()]
        if json:
            self.stdout.write(_dumps(rows))
            return
        table = [[_cell(row[c]) for c in COLUMNS] for row in rows]
        widths = [max(len(c), *(len(r[i]) for r in table)) for i, c in enumerate(COLUMNS)]
        self.stdout.write(_line([c.upper() for c in COLUMNS], widths))
        for r in table:
            self.stdout.write(_line(r, widths))
        models = {row["model"] for row in rows}
        self.stdout.write(f"\n{len(rows)} personal fields in {len(models)} models.")


def _line(values: list[str], widths: list[int]) -> str:
    return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()


def _cell(value) -> str:
    return ", ".join(value) if isinstance(value, list) else str(value)


def _dumps(rows) -> str:
    return json.dumps(rows, indent=2, ensure_ascii=False)
