"""Hostile and broken input through the real command line (`python -m qcstation`, its own
process): each is refused with exit code 2 and a message naming what and where, within a
time and an address-space limit, and writes nothing."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

from tests.security.test_files_and_yaml import billion_laughs

SRC = Path(__file__).resolve().parents[2] / "src"
MEMORY = 2 << 30  # bytes of address space the command may map, interpreter and libraries included


def qcstation(
    *argv: str, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))

    proc = subprocess.run(
        [sys.executable, "-m", "qcstation", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limit,
        env={**os.environ, "PYTHONPATH": str(SRC), **(env or {})},
    )
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return proc


def test_billion_laughs_template_is_refused_at_once(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(billion_laughs(), "utf-8")
    proc = qcstation("template", "validate", str(bomb), timeout=30)
    assert proc.returncode == 2
    assert f"{bomb}:2: YAML aliases are not allowed here (*a)" in proc.stderr
    assert "nothing was written" in proc.stderr


def test_deeply_nested_template_is_refused_not_a_recursion_error(tmp_path: Path) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("template: t\nversion: 1\nsections: " + "[" * 50_000 + "]" * 50_000, "utf-8")
    proc = qcstation("template", "validate", str(deep), timeout=30)
    assert proc.returncode == 2
    assert f"{deep}:3: nested more than 64 levels deep" in proc.stderr
