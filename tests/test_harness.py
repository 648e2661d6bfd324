"""The suite's own guards, run the way the suite runs (this repository's pytest settings
and tests/conftest.py): a hung test is stopped and named instead of holding CI until its
job is killed; what a test needs from the machine is skipped where missing, except in CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

HANGS = """
import threading


def test_waits_for_nothing_forever():
    threading.Event().wait()


def test_after_it():
    pass
"""


def pytest_in(
    tmp_path: Path, *args: str, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """pytest on tmp_path's tests as the suite runs: this repository's settings
    (pyproject.toml) and tests/conftest.py (loaded as a plugin: it is not tmp_path's)."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"),
         "--rootdir", str(tmp_path), "-p", "no:cacheprovider", "-p", "tests.conftest",
         *args, str(tmp_path)],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def test_every_test_has_a_time_limit_and_one_stack_dump(pytestconfig: pytest.Config) -> None:
    # a hang inside Qt's event loop never returns to Python for a signal: a thread stops it
    assert pytestconfig.getini("timeout_method") == "thread"
    limit = float(pytestconfig.getini("timeout"))
    assert 60 <= limit <= 600
    # pytest's faulthandler would print the same stacks a second time: off, or never
    # reached before the limit
    dump = float(pytestconfig.getini("faulthandler_timeout") or 0)
    assert dump == 0 or dump > limit


@pytest.mark.parametrize("workers", [[], ["-n", "1"]], ids=["one-process", "xdist"])
def test_a_hung_test_is_stopped_and_named(tmp_path: Path, workers: list[str]) -> None:
    (tmp_path / "test_hang.py").write_text(HANGS, encoding="utf-8")
    proc = pytest_in(tmp_path, "-o", "timeout=3", *(workers or ["-p", "no:xdist"]))
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    # the test's name and where each thread is, in what CI shows (xdist workers too)
    assert "Timeout: test_hang.py::test_waits_for_nothing_forever ran longer than 3s" in out, out
    assert "thread 'MainThread'" in out and "in test_waits_for_nothing_forever" in out, out
    # one dump: not pytest-timeout's own as well, nor faulthandler's
    assert out.count("ran longer than") == 1, out
    assert "+ Timeout +" not in out and "most recent call first" not in out, out
    if workers:  # pytest-xdist names the test as well and goes on in a new worker
        assert "crashed while running 'test_hang.py::test_waits" in out, out
        assert "1 failed, 1 passed" in out, out


LEAKS = """
import threading
import time

stop = threading.Event()


def test_leaves_a_thread_running():
    threading.Thread(target=stop.wait, name="left-behind").start()


def test_a_thread_that_ends_soon_and_a_daemon_are_fine():
    threading.Thread(target=time.sleep, args=(0.3,), name="finishing").start()
    threading.Thread(target=stop.wait, name="daemon", daemon=True).start()


def test_after_them():
    stop.set()
"""


def test_a_thread_left_running_fails_the_test_that_started_it(tmp_path: Path) -> None:
    (tmp_path / "test_leaks.py").write_text(LEAKS, encoding="utf-8")
    proc = pytest_in(tmp_path, "-p", "no:xdist", "-rE")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "3 passed, 1 error" in out, out
    assert "ERROR at teardown of test_leaves_a_thread_running" in out, out
    assert "left 1 thread(s) running: left-behind" in out, out


NEEDS = """
import pytest

from tests.conftest import have_tools, unavailable


@pytest.mark.usefixtures("poppler")
def test_reads_a_pdf():
    pass


def test_checks_more_where_it_can():
    if have_tools("pdftoppm"):
        pass


def test_needs_seeded_data():
    unavailable("the seeded demo made no such record")
"""


@pytest.mark.parametrize("ci", ["", "true"], ids=["here", "in-ci"])
def test_what_a_test_needs_is_skipped_where_missing_but_fails_in_ci(
    tmp_path: Path, ci: str
) -> None:
    (tmp_path / "test_needs.py").write_text(NEEDS, encoding="utf-8")
    no_tools = tmp_path / "bin"  # a PATH with no poppler on it
    no_tools.mkdir()
    proc = pytest_in(tmp_path, "-p", "no:xdist", "-rsfE", env={"PATH": str(no_tools), "CI": ci})
    out = proc.stdout + proc.stderr
    if ci:
        assert proc.returncode == 1, out
        assert "2 failed, 1 error" in out, out  # the fixture's failure is a set-up error
        assert "pdfsig, pdftoppm, pdftotext not installed (Debian: poppler-utils" in out, out
        assert "CI (CI is set) does not skip this test" in out, out
        assert "the seeded demo made no such record" in out, out
    else:
        assert proc.returncode == 0, out
        assert "1 passed, 2 skipped" in out, out  # have_tools: the extra check left out
