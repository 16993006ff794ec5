"""``manage.py flush_tracking_buffer``: move buffered usage events into the database now."""

from django.core.management.base import BaseCommand, CommandError

from privacy.services import tracking


class Command(BaseCommand):
    help = "Write buffered usage events (page views, searches, clicks) to the database."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=None, help="events per batch")
        parser.add_argument(
            "--max-batches", type=int, default=1000, help="stop after this many batches"
        )

    def handle(self, *args, batch_size, max_batches, **options):
        if batch_size is not None and batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        result = tracking.flush_buffer(batch_size=batch_size, max_batches=max_batches)
        self.stdout.write(
            f"Flushed {result.batches} batch(es): {result.read} read, {result.recorded} "
            f"recorded, {result.time_updates} time-on-page updates, {result.dropped} dropped."
        )
