"""Headless Chromium for the browser tests (test_browser, test_site): where it is, when to skip, how to launch it.

Facts used here were measured in ../shared/notes/browser-testing.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"

needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (.ci/run installs it)")


def launch(p):  # type: ignore[no-untyped-def]
    """Debian's Chromium through Playwright, kept off the network (only 127.0.0.1/localhost resolve)."""
    return p.chromium.launch(
        executable_path=CHROMIUM,
        args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"],
    )
