"""``manage.py export_user EMAIL --out FILE [--force]``: a member's data export, now.

The same ZIP a member downloads (``privacy.services.export.write_export``), built
synchronously for staff and operators, e.g. to answer an access request by post. The file
is written under a temporary name beside FILE (mode 0600) and renamed when complete; an
existing FILE is kept unless ``--force``. Writes an audit entry (``staff.exported``).
"""

import os
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from privacy.services import audit, export


class Command(BaseCommand):
    help = "Write the data export (ZIP) of the member with EMAIL to FILE."

    def add_arguments(self, parser):
        parser.add_argument("email", help="the member's email address (any letter case)")
        parser.add_argument("--out", required=True, help="where to write the ZIP")
        parser.add_argument("--force", action="store_true", help="overwrite FILE if it exists")

    def handle(self, *args, email: str, out: str, force: bool = False, **options):
        user = get_user_model().objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError("No member has that email address.")
        target = Path(out)
        if target.is_dir():
            raise CommandError(f"{target} is a folder; give the path of the ZIP to write.")
        if target.exists() and not force:
            raise CommandError(f"{target} already exists; use --force to overwrite it.")
        if not target.parent.is_dir():
            raise CommandError(f"The folder {target.parent} does not exist.")
        part = target.with_name(f".{target.name}.part")
        try:
            summary = export.write_export(user, part)
            os.replace(part, target)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        audit.record(
            audit.Action.STAFF_EXPORTED,
            actor=None,
            subject=user,
            records=summary.records,
            size_bytes=summary.size_bytes,
            via="command",
        )
        self.stdout.write(
            f"Wrote the export of member #{user.pk} to {target}: {summary.records} records in "
            f"{summary.sections} sections, {summary.files} stored files, "
            f"{summary.size_bytes / 1e6:.1f} MB ({summary.size_bytes} bytes), "
            f"sha256 {summary.sha256}."
        )
