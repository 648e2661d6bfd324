"""bench/dashboard.py runs in --quick mode, checks the service against its SQL and ends
with its JSON lines. No timing is asserted here (see DESIGN.md, Benchmarks)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.bench.test_benchmarks_run import run_quick


@pytest.mark.slow
def test_dashboard_bench_runs(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    metrics = run_quick("dashboard.py", tmp_path, "--cache-dir", str(cache))
    names = {m["metric"] for m in metrics}
    for chart in ("pareto_code", "pareto_material", "fpy_week", "p_chart", "dashboard"):
        assert f"{chart}_median" in names
    assert (cache / "dashboard-20000-4000" / "qcstation.db").exists()
