"""The audit verify benchmark runs in --quick mode and ends with its JSON lines (no timing is
asserted: the ratios it prints are read by people)."""

from __future__ import annotations

from pathlib import Path

from .test_benchmarks_run import run_quick


def test_audit_verify_quick(tmp_path: Path) -> None:
    metrics = run_quick("audit_verify.py", tmp_path)
    assert {m["metric"] for m in metrics} == {"verify_s", "verify_v1_s"}
    assert all(m["unit"] == "s" and float(m["value"]) > 0 for m in metrics)  # type: ignore[arg-type]
