"""The nonconformance queue benchmark runs in --quick mode and ends with its JSON lines
(no timing is asserted: the ratios it prints are read by people)."""

from __future__ import annotations

from pathlib import Path

from .test_benchmarks_run import run_quick


def test_nonconformance_queue_quick(tmp_path: Path) -> None:
    metrics = run_quick("nonconformance_queue.py", tmp_path)
    assert {m["metric"] for m in metrics} == {"open_items_median", "recent_decisions_median"}
    assert all(m["unit"] == "ms" and float(m["value"]) > 0 for m in metrics)  # type: ignore[arg-type]
