"""Production settings: secure by default and clean under ``check --deploy``."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "cinema.settings.production",
    "DJANGO_SECRET_KEY": "k" * 20 + "-production-test-only-" + "9f8e7d6c5b4a3" * 3,
    "DJANGO_ALLOWED_HOSTS": "cinema.example.com",
    "MARQUEE_SITE_URL": "https://cinema.example.com",
    "MARQUEE_SUPPRESSION_SALT": "s" * 40,
    "MARQUEE_MFA_ENCRYPTION_KEY": "m" * 40,
    "MARQUEE_NO_BOOTSTRAP": "1",
}


def run_with_production_settings(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **PRODUCTION_ENV}
    for name in ("DJANGO_DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_reports_no_issues():
    result = run_with_production_settings(
        "manage.py", "check", "--deploy", "--fail-level", "WARNING"
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env_without_key = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SECRET_KEY"}
    env = {**os.environ, **env_without_key}
    env.pop("DJANGO_SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_hashes_with_argon2_and_sends_secure_cookies():
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.PASSWORD_HASHERS[0], s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS, s.DEBUG)"
    )
    result = run_with_production_settings("-c", script)

    assert result.returncode == 0, result.stderr
    hasher, session_secure, csrf_secure, hsts, debug = result.stdout.split()
    assert hasher.endswith("Argon2PasswordHasher")
    assert (session_secure, csrf_secure, debug) == ("True", "True", "False")
    assert int(hsts) >= 31536000
