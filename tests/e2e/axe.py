"""axe-core inside the Chromium tests: accessibility checks of rendered pages.

axe-core comes from the npm registry, pinned in tests/e2e/node/package-lock.json and
installed on first use with ``npm ci`` (CI installs it up front). It is injected through
the DevTools protocol (``page.evaluate``), which the pages' Content-Security-Policy does not
govern, so the pages are checked exactly as members get them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

NODE_DIR = Path(__file__).resolve().parent / "node"
AXE_JS = NODE_DIR / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 A and AA, plus axe's best practices (landmarks, one h1, ...).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = ("serious", "critical")


@cache
def axe_source() -> str:
    if not AXE_JS.exists():
        npm = shutil.which("npm")
        if npm is None:
            if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
                pytest.fail("npm is needed to install axe-core for the accessibility checks")
            pytest.skip("npm is not installed: accessibility checks need axe-core")
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--prefix", str(NODE_DIR)],
            check=True,
            capture_output=True,
        )
    return AXE_JS.read_text(encoding="utf-8")


def violations(page, *, impacts=BLOCKING) -> list[dict]:
    """Run axe on the page as it is now; return its violations of the given impacts."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        TAGS,
    )
    return [v for v in result["violations"] if v["impact"] in impacts]


def describe(found: list[dict]) -> str:
    lines = []
    for violation in found:
        targets = [", ".join(node["target"]) for node in violation["nodes"][:5]]
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} -> {targets}")
    return "\n".join(lines)


def assert_accessible(page, where: str = "") -> None:
    found = violations(page)
    assert not found, f"axe-core on {where or page.url}:\n{describe(found)}"
