"""The suite's own gates: where CI is set, the browser tests fail rather than skip when chromium
is missing, so a green CI run always has the JavaScript tested."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent


def collect_browser_tests(**environment) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    env.update(environment, MEDIATRAIL_TEST_CHROMIUM="/nonexistent/chromium")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", str(TESTS / "test_browser.py")],
        cwd=TESTS.parent, env=env, capture_output=True, text=True, timeout=300,
    )


@pytest.mark.parametrize("ci", ["1", "true"])
def test_missing_chromium_fails_the_browser_tests_in_ci(ci):
    result = collect_browser_tests(CI=ci)
    assert result.returncode != 0, result.stdout
    assert "CI is set, and browser tests need Debian's chromium" in result.stdout
    assert "/nonexistent/chromium" in result.stdout


def test_missing_chromium_skips_the_browser_tests_for_a_developer():
    result = collect_browser_tests()
    assert result.returncode == pytest.ExitCode.NO_TESTS_COLLECTED, result.stdout  # skipped, not failed
    assert "1 skipped" in result.stdout and "browser tests need Debian's chromium" in result.stdout
