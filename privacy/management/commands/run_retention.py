"""``manage.py run_retention [--dry-run] [--rule NAME ...]``: apply the retention rules now."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from privacy.services import retention


class Command(BaseCommand):
    help = (
        "Delete or anonymize what outlived its retention rule, rule by rule, in short "
        "batches. --dry-run prints, per rule, the cut-off and how many rows a run would "
        "affect, and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--rule",
            action="append",
            dest="rules",
            metavar="NAME",
            help="only this rule (repeatable); default: every rule",
        )
        parser.add_argument("--dry-run", action="store_true", help="count, change nothing")
        parser.add_argument("--batch-size", type=int, default=None, help="rows per batch")

    def handle(self, *args, rules, dry_run, batch_size, **options):
        if batch_size is not None and batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        known = retention.rule_names()
        unknown = [name for name in rules or [] if name not in known]
        if unknown:
            raise CommandError(
                f"Unknown retention rule(s): {', '.join(unknown)}. Known rules: {', '.join(known)}."
            )
        if dry_run:
            self._dry_run(rules)
            return
        failed = []
        for name in rules or known:
            try:
                runs = retention.run_rule(name, trigger="command", batch_size=batch_size)
            except retention.RetentionFailed as exc:
                failed.append(name)
                self.stderr.write(
                    f"{name}: FAILED in run #{exc.run_id} ({exc.kind}); the next run "
                    "continues from its checkpoint."
                )
                continue
            if not runs:
                self.stdout.write(f"{name}: skipped (switched off, or running elsewhere)")
            for run in runs:
                resumed = f", continuing run #{run.resumed_from_id}" if run.resumed_from_id else ""
                self.stdout.write(
                    f"{name}: {run.get_action_display()} {run.rows} row(s) in {run.batches} "
                    f"batch(es), {_seconds(run)} s, longest batch {run.longest_batch_ms} ms "
                    f"(run #{run.pk}{resumed})"
                )
        if failed:
            raise CommandError(f"{len(failed)} rule(s) failed: {', '.join(failed)}.")

    def _dry_run(self, rules):
        now = timezone.now()
        self.stdout.write(f"Dry run at {now:%Y-%m-%d %H:%M} UTC; nothing is changed.")
        header = f"{'rule':<30} {'action':<17} {'period':>10}  {'cut-off (UTC)':<16} {'rows':>10}"
        self.stdout.write(header)
        for item in retention.preview(rules, now=now):
            period = retention.describe_period(item.period)
            if item.count is None:
                line = f"{item.rule.name:<30} {'-':<17} {period:>10}  {'-':<16} {'-':>10}"
                self.stdout.write(f"{line}  ({item.note or 'kept'})")
                continue
            action = str(retention.Action(item.rule.action).label)
            line = (
                f"{item.rule.name:<30} {action:<17} {period:>10}  "
                f"{item.cutoff:%Y-%m-%d %H:%M} {item.count:>10}"
            )
            self.stdout.write(f"{line}  ({item.note})" if item.note else line)


def _seconds(run) -> str:
    duration = run.duration
    return f"{duration.total_seconds():.1f}" if duration else "0.0"
