"""``manage.py audit_verify``: walk the audit log's hash chain and report every break."""

import re

from django.core.management.base import BaseCommand, CommandError

from privacy.models import AuditChainHead, AuditEntry
from privacy.services import audit

EXPECT = re.compile(r"^#?(?P<id>\d+):(?P<hash>[0-9a-f]{64})$")


class Command(BaseCommand):
    help = (
        "Verify the audit log: every entry's hash, every link to the previous entry, and "
        "the chain head. Prints the entries checked, the newest entry's hash and each "
        "problem; exits 1 on any."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--chunk-size", type=int, default=5000, help="entries read per database round trip"
        )
        parser.add_argument(
            "--expect",
            action="append",
            default=[],
            metavar="ID:HASH",
            help=(
                "an entry's id and hash as an earlier run printed them (repeatable): "
                "the entry must still have that hash, which shows even a rewrite of the "
                "whole chain"
            ),
        )

    def handle(self, *args, chunk_size, expect, **options):
        if chunk_size < 1:
            raise CommandError("--chunk-size must be at least 1.")
        expected = []
        for value in expect:
            match = EXPECT.match(value.strip().lower())
            if not match:
                raise CommandError(
                    f"--expect takes ID:HASH (a 64-character hex hash), not {value!r}."
                )
            expected.append((int(match["id"]), match["hash"]))

        checked, problems = audit.verify(chunk_size=chunk_size)
        problems = [str(problem) for problem in problems]
        problems += self._compare(expected)
        last_id, last_hash = audit.head_hash()
        self.stdout.write(f"Checked {checked} audit entries; newest #{last_id} hash {last_hash}.")
        for problem in problems:
            self.stderr.write(f"PROBLEM {problem}")
        if problems:
            raise CommandError(
                f"The audit log has been tampered with: {len(problems)} problem(s) found.",
                returncode=1,
            )
        self.stdout.write(self.style.SUCCESS("The audit log is intact."))

    def _compare(self, expected: list[tuple[int, str]]) -> list[str]:
        problems = []
        head = AuditChainHead.objects.filter(pk=1).first()
        first_id = head.first_id if head else 1
        for entry_id, entry_hash in expected:
            found = AuditEntry.objects.filter(pk=entry_id).values_list("hash", flat=True).first()
            if found is None and entry_id < first_id:
                self.stdout.write(f"#{entry_id} was pruned by retention: nothing to compare.")
            elif found is None:
                problems.append(f"#{entry_id}: is gone, but an earlier run recorded it")
            elif found != entry_hash:
                problems.append(f"#{entry_id}: its hash differs from the one recorded earlier")
        return problems
