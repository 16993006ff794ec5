"""The README's run command, for real: embedded mode on a fresh data directory."""

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.smoke

# Variables that would switch the run command away from its embedded defaults.
SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_run_command_serves_the_portal_with_demo_logins_and_stops_cleanly(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env["MARQUEE_DATA_DIR"] = str(tmp_path / "data")
    python3 = shutil.which("python3") or "python3"
    log_path = tmp_path / "start.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [python3, "manage.py", "start", "--port", str(port), "--members", "8"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while "Marquee is running at" not in log_path.read_text(errors="replace"):
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.5)
        # Stop only once the worker is up, so that the test sees it shut down in order.
        while " ready." not in log_path.read_text(errors="replace"):
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.5)
        output = log_path.read_text()
        url = re.search(r"running at (http://\S+)", output).group(1)
        assert "member@marquee.example" in output
        assert "officer@marquee.example" in output

        page = _get_when_up(url)
        assert "Marquee" in page
        health = _get_when_up(url + "healthz")
        assert '"status": "ok"' in health
        # Embedded defaults: SQLite in the data directory, file-based broker queue.
        assert (tmp_path / "data" / "db.sqlite3").exists()
        assert (tmp_path / "data" / "broker").is_dir()
        assert not (ROOT / "control").exists()  # broker bookkeeping stays in the data dir

        # Emails are printed by the worker with working links to this server: a password
        # reset for the demo member, as a developer would try it.
        _request_password_reset(url, "member@marquee.example")
        reset_link = re.compile(rf"{re.escape(url)}accounts/password/reset/key/[\w-]+/")
        while not reset_link.search(log_path.read_text(errors="replace")):
            assert time.monotonic() < deadline + 60, log_path.read_text()
            time.sleep(0.5)
        email = log_path.read_text(errors="replace")
        assert f"127.0.0.1:{port}" in email.split("Password Reset")[-1]  # the footer's address
        assert "Hello from Marquee!" in email
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    output = log_path.read_text()
    assert process.returncode == 0, output
    assert "Stopped." in output
    assert "Warm shutdown" in output  # the worker was stopped, not orphaned


def _request_password_reset(base_url: str, email: str) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form_url = base_url + "accounts/password/reset/"
    with opener.open(form_url, timeout=10) as response:  # the CSRF cookie and token
        page = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "email": email}).encode()
    request = urllib.request.Request(  # noqa: S310 - the local server under test
        form_url, data=data, headers={"Referer": form_url}
    )
    with opener.open(request, timeout=10) as response:
        assert response.status == 200


def _get_when_up(url: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - local URL
                return response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
