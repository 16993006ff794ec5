"""``manage.py erase_user EMAIL [--dry-run] --reason TEXT [--request PR-000042]``."""

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from privacy.models import PrivacyRequest
from privacy.services import erasure


class Command(BaseCommand):
    help = (
        "Erase a member now (staff path, no grace period) and print what was deleted, "
        "anonymized and kept; --dry-run only lists what would happen, per model."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="the member's email address")
        parser.add_argument("--dry-run", action="store_true", help="change nothing, list the plan")
        parser.add_argument("--reason", default="", help="why (required unless --dry-run)")
        parser.add_argument(
            "--request", default="", help="privacy request this fulfils (PR-000042 or its id)"
        )
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, email: str, dry_run: bool, reason: str, request: str, **options):
        user = get_user_model().objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No account with the email address {email!r}.")
        with translation.override("en"):
            if dry_run:
                self._print_plan(user)
                return
            if not reason.strip():
                raise CommandError("Give --reason: it is recorded with the erasure.")
            req = _request(request) if request else None
            job = erasure.erase_now(user, actor=None, reason=reason.strip(), request=req)
        if options["json"]:
            self.stdout.write(json.dumps(job.report, indent=2, sort_keys=True))
            return
        if job.status != job.Status.DONE:
            raise CommandError(
                f"Erasure job #{job.pk} is {job.status} ({job.error or 'running elsewhere'})."
            )
        self.stdout.write(f"Erased account #{job.user_id}; tombstone {job.tombstone}.")
        for entry in job.report.get("models", {}).values():
            if entry.get("rows"):
                self.stdout.write(_report_line(entry))
        outside = job.report.get("outside", {})
        self.stdout.write(
            "Outside the tables: " + ", ".join(f"{k} {v}" for k, v in sorted(outside.items()))
        )

    def _print_plan(self, user) -> None:
        self.stdout.write(f"Dry run: erasing account #{user.pk} would")
        for item in erasure.plan(user):
            fields = ", ".join(f"{name} ({method})" for name, method in item.changes.items())
            if item.action == erasure.DELETE:
                what = "delete"
            elif item.action == erasure.ANONYMIZE:
                what = f"anonymize ({fields})"
            else:
                what = f"keep ({item.why})" + (f", pseudonymized: {fields}" if fields else "")
            if item.tombstone:
                what += ", linked to a tombstone id"
            self.stdout.write(f"  {item.label}: {item.rows} rows: {what}")
        self.stdout.write(
            "  and remove outside the tables: sessions, avatar and export files, cache "
            "entries, buffered usage events; add the addresses to the suppression list."
        )


def _report_line(entry: dict) -> str:
    line = f"  {entry['model']}: {entry['rows']} rows {entry['action']}"
    if entry.get("fields"):
        line += " (" + ", ".join(f"{k}: {v}" for k, v in entry["fields"].items()) + ")"
    if entry.get("law"):
        line += f"; kept {entry['kept_days']} days: {entry['law']}"
    return line


def _request(reference: str) -> PrivacyRequest:
    digits = reference.upper().removeprefix("PR-").lstrip("0") or "0"
    if not digits.isdigit():
        raise CommandError(f"{reference!r} is not a request reference (PR-000042).")
    req = PrivacyRequest.objects.filter(pk=int(digits)).first()
    if req is None:
        raise CommandError(f"No privacy request {reference!r}.")
    return req
