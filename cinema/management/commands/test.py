"""``manage.py test``: the whole suite, run by pytest.

Every argument goes to pytest unchanged (``manage.py test tests/accounts -k signup``).
Unless told otherwise the suite runs on all cores through pytest-xdist.
"""

import os
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the test suite with pytest; all arguments are passed to pytest."

    def run_from_argv(self, argv):
        args = argv[2:]
        if not any(a == "-n" or a.startswith(("-n", "--numprocesses")) for a in args) and (
            "no:xdist" not in " ".join(args)
        ):
            args = ["-n", os.environ.get("PYTEST_WORKERS", "auto"), *args]
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cinema.settings.test"}
        completed = subprocess.run(  # noqa: S603 - our own interpreter running pytest
            [sys.executable, "-m", "pytest", *args], cwd=settings.BASE_DIR, env=env, check=False
        )
        sys.exit(completed.returncode)
