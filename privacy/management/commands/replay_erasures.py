"""``manage.py replay_erasures --since ISO_DATETIME [--journal FILE] [--dry-run]``."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from privacy.services import erasure


class Command(BaseCommand):
    help = (
        "After restoring a database backup: erase again every account that an erasure "
        "journalled since the backup's time had erased (matched by address hashes)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--since", required=True, help="when the restored backup was taken (ISO 8601)"
        )
        parser.add_argument(
            "--journal",
            default="",
            help="journal file to read (default: PRIVACY_ERASURE_JOURNAL_FILE)",
        )
        parser.add_argument("--dry-run", action="store_true", help="list, change nothing")

    def handle(self, *args, since: str, journal: str, dry_run: bool, **options):
        moment = parse_datetime(since)
        if moment is None and parse_date(since) is not None:
            moment = parse_datetime(f"{since}T00:00:00")
        if moment is None:
            raise CommandError(f"{since!r} is not an ISO date or date-time.")
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, timezone.get_current_timezone())
        result = erasure.replay_erasures(
            since=moment, journal_file=journal or None, dry_run=dry_run
        )
        self.stdout.write(
            f"{result.entries} erasures journalled since {moment.isoformat()}; "
            f"{result.journal_restored} journal entries put back."
        )
        verb = "would erase" if dry_run else "erased again"
        for tombstone, job_id in result.erased:
            suffix = f" (job #{job_id})" if job_id else ""
            self.stdout.write(f"  {verb}: the account of erasure {tombstone}{suffix}")
        if not result.erased:
            self.stdout.write("No restored account matched: nothing to erase.")
