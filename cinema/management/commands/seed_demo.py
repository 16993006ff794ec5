"""``manage.py seed_demo``: realistic, deterministic demo data at any scale."""

from django.core.management.base import BaseCommand, CommandError

from cinema import demo


class Command(BaseCommand):
    help = "Create the demo logins and N generated members (same seed, same data)."

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=40, help="members to generate")
        parser.add_argument("--seed", type=int, default=2026, help="random seed")

    def handle(self, *args, members, seed, **options):
        if members < 0:
            raise CommandError("--members must be zero or more.")
        result = demo.seed_demo(members=members, seed=seed)
        self.stdout.write(
            f"Demo data ready: {result.members_created} new members "
            f"({members - result.members_created} already present), "
            f"{result.demo_accounts_created} new demo logins, "
            f"{result.showtimes_created} new showtimes, {result.bookings_created} new bookings."
        )
