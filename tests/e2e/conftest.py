"""End-to-end journeys: a real Chromium driven by Playwright against ``live_server``.

Every test collected from this folder is marked ``e2e``, so the suite-wide policy in
tests/conftest.py applies to it (skipped with a reason when Chromium is missing, a hard
failure under ``CI=true``). Screenshots go to ``test-artifacts/screenshots/`` (gitignored).
"""

import os
import re
from pathlib import Path

import pytest

# pytest-playwright's sync API keeps an event loop running in the test thread; Django
# refuses ORM calls from such a thread unless told this is deliberate. The live server
# runs in its own thread and is unaffected.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

try:  # One source of truth for the browser path when tests/ is importable as a package.
    from tests.conftest import CHROMIUM
except ImportError:  # pragma: no cover - layout without tests/__init__.py
    CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

E2E_DIR = Path(__file__).resolve().parent

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark everything under tests/e2e as ``e2e`` before tests/conftest.py applies its
    skip-or-fail policy (``tryfirst`` guarantees this hook runs before that one)."""
    for item in items:
        if Path(item.path).resolve().is_relative_to(E2E_DIR) and not item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch the system Chromium (browser downloads are not possible here)."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS],
    }


@pytest.fixture
def snap(request):
    """``snap(page, "step")`` saves a full-page screenshot named after the test and step."""
    directory = Path(request.config.rootpath) / "test-artifacts" / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name).strip("_")

    def take(page, step: str) -> Path:
        path = directory / f"{test_name}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', step)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
