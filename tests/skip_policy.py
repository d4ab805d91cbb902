"""A skipped test fails the run unless what it needs cannot be had on these machines: a GPU (CUDA).
bin/test installs every other tool the tests use (Chromium, nginx, R, espeak-ng, PostgreSQL, Redis,
and mmpose with mmcv's CPU operators, deploy/install_gpu.sh), so a skip for one of them would hide
a check that CI never ran."""

from __future__ import annotations

import pytest

SKIP_REASONS_ALLOWED = ("CUDA",)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if not any(word in reason for word in SKIP_REASONS_ALLOWED):
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid} was skipped ({reason}); only what these machines cannot have (CUDA) "
            "may be skipped: install what it needs (bin/test does) instead."
        )
