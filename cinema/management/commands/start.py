"""``manage.py start``: the whole portal on one machine, for a demo or for development.

Migrates, loads demo data into an empty database, then runs the web server, a Celery
worker and Celery beat as child processes and prints the address and the demo logins.
Ctrl-C (or SIGTERM) stops all three and waits for them. With no environment it runs on
SQLite and a file-based Celery transport; ``DATABASE_URL`` and ``CELERY_BROKER_URL`` /
``REDIS_URL`` switch it to PostgreSQL and Redis.
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from cinema import demo

SHUTDOWN_GRACE_SECONDS = 15


class Command(BaseCommand):
    help = "Run web + Celery worker + beat with demo data; Ctrl-C stops everything."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--members", type=int, default=40, help="demo members to create in an empty database"
        )
        parser.add_argument("--no-worker", action="store_true", help="do not start worker/beat")

    def handle(self, *args, host, port, members, no_worker, **options):
        os.environ.setdefault("DJANGO_DEBUG", "1")
        self._prepare_data_dir()
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database is up to date.")
        if not get_user_model().objects.exists():
            call_command("seed_demo", members=members, seed=2026, stdout=self.stdout)

        children = self._spawn(host, port, with_worker=not no_worker)
        url = f"http://{host}:{port}/"
        self._print_banner(url)
        self._supervise(children)

    def _prepare_data_dir(self):
        for folder in (settings.MEDIA_ROOT, settings.EMAIL_FILE_PATH):
            os.makedirs(folder, exist_ok=True)
        options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
        if "data_folder_in" in options:
            os.makedirs(options["data_folder_in"], exist_ok=True)

    def _spawn(self, host, port, *, with_worker):
        python = sys.executable
        manage = str(settings.BASE_DIR / "manage.py")
        commands = {
            "web": [python, manage, "runserver", f"{host}:{port}", "--noreload"],
        }
        if with_worker:
            commands["worker"] = [
                python, "-m", "celery", "-A", "cinema", "worker",
                "--loglevel=INFO", "--concurrency=2", "-n", f"marquee-{os.getpid()}@%h",
            ]  # fmt: skip
            commands["beat"] = [python, "-m", "celery", "-A", "cinema", "beat", "--loglevel=INFO"]
        env = {**os.environ, "MARQUEE_NO_BOOTSTRAP": "1", "PYTHONUNBUFFERED": "1"}
        # Links in emails point at this server (unless the operator set the address).
        env.setdefault("MARQUEE_SITE_URL", f"http://{host}:{port}")
        children = {}
        for name, command in commands.items():
            # A session of its own: Ctrl-C reaches only this supervisor, which then stops the
            # children in order instead of all of them racing each other.
            children[name] = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
                command, cwd=settings.BASE_DIR, env=env, start_new_session=True
            )
        return children

    def _print_banner(self, url):
        lines = [
            "",
            f"  Marquee is running at {url}",
            f"  Staff admin: {url}admin/",
            "",
            "  Demo logins (email / password):",
            f"    member           {demo.MEMBER_EMAIL} / {demo.DEMO_PASSWORD}",
            f"    privacy officer  {demo.OFFICER_EMAIL} / {demo.DEMO_PASSWORD}",
            f"                     authenticator-app secret {demo.DEMO_TOTP_SECRET}",
            "",
            "  Emails are printed below by the worker. Press Ctrl-C to stop.",
            "",
        ]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
        self.stdout.flush()

    def _supervise(self, children):
        stopping = False

        def request_stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        failed = None
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    failed = (name, child.returncode)
                    stopping = True
                    break
            time.sleep(0.3)
        self.stdout.write("Stopping web, worker and beat ...")
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + SHUTDOWN_GRACE_SECONDS
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if failed:
            raise CommandError(f"The {failed[0]} process exited unexpectedly (code {failed[1]}).")
        self.stdout.write("Stopped.")
