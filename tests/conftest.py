"""Suite-wide fixtures and the rules about real services.

Three layers share this file: unit/service tests (any database), integration tests
(``@pytest.mark.integration``: real PostgreSQL, Redis and a Celery worker process) and
end-to-end journeys (``@pytest.mark.e2e``: headless Chromium). Outside CI a layer whose
service is missing is skipped with the reason shown; under ``CI=true`` it fails instead,
so nothing is ever skipped silently there.
"""

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _xdist_index() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker.removeprefix("gw") or 0)


def _redis_base_url() -> str:
    return os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def redis_url_for_this_process(offset: int = 1) -> str:
    """A Redis database of its own for each xdist worker, so parallel runs never mix."""
    parsed = urlparse(_redis_base_url())
    return parsed._replace(path=f"/{offset + _xdist_index()}").geturl()


@pytest.fixture(scope="session", autouse=True)
def _broker_of_this_process(request):
    """Give each xdist process a Redis database of its own as Celery broker.

    Celery reads ``CELERY_BROKER_URL`` from the environment on every use, so setting it
    here (before any test sends a task) also reaches the worker process that
    tests/integration starts for this test process.
    """
    worker_id = getattr(request.config, "workerinput", {}).get("workerid", "gw0")
    os.environ["PYTEST_XDIST_WORKER"] = worker_id
    os.environ["CELERY_BROKER_URL"] = redis_url_for_this_process()


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), 2
        ):
            return True
    except OSError:
        return False


def service_problems() -> dict[str, str]:
    """Return, per layer, why its real services are not available (empty when all are)."""
    problems = {}
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        problems["integration"] = "DATABASE_URL does not point at PostgreSQL"
    elif not _reachable(database_url, 5432):
        problems["integration"] = "PostgreSQL is not reachable"
    elif not _reachable(_redis_base_url(), 6379):
        problems["integration"] = "Redis is not reachable"
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        problems["e2e"] = f"Chromium not found at {CHROMIUM}"
    return problems


def pytest_collection_modifyitems(config, items):
    problems = service_problems()
    wanted = {
        marker for item in items for marker in ("integration", "e2e") if marker in item.keywords
    }
    if IN_CI:
        missing = {layer: why for layer, why in problems.items() if layer in wanted}
        if missing:
            details = "; ".join(f"{layer}: {why}" for layer, why in missing.items())
            raise pytest.UsageError(f"CI requires every service, but {details}.")
        return
    for item in items:
        for layer, why in problems.items():
            if layer in item.keywords:
                item.add_marker(pytest.mark.skip(reason=f"{layer} layer unavailable: {why}"))


@pytest.fixture(autouse=True)
def _isolated_tracking_spool(settings, tmp_path):
    """Keep buffered usage events of each test in its own folder, never in .data/."""
    settings.PRIVACY_TRACKING_SPOOL_DIR = str(tmp_path / "tracking-spool")


@pytest.fixture(autouse=True)
def _isolated_cache():
    """Start every test with an empty cache (rate limits, cached reads)."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def chromium_path() -> str:
    assert shutil.which(CHROMIUM) or os.path.exists(CHROMIUM)
    return CHROMIUM
