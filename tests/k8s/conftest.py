"""tests/k8s: the deployment artefacts (image, compose stack, Helm chart).

The compose end-to-end test skips where no Docker engine answers. Its reason is printed at the end
of the run even without `-rs`, so a skipped end-to-end run is never silent.
"""

from __future__ import annotations

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    chars = config.getoption("reportchars", "") or ""
    if "s" in chars or "a" in chars or "A" in chars:
        return  # pytest prints every skip reason itself
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
        if "compose e2e:" in reason:
            terminalreporter.write_line(f"SKIPPED {report.nodeid}: {reason.removeprefix('Skipped: ')}")
