"""The multi-station PostgreSQL benchmark runs and ends with its JSON lines (no timing is
asserted). It needs a PostgreSQL server: skipped without one, unless
QCSTATION_REQUIRE_POSTGRES is set, then it fails (see tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..conftest import postgres_url
from .test_benchmarks_run import run_quick


@pytest.mark.slow
@pytest.mark.postgres
def test_stations_pg_runs(tmp_path: Path) -> None:
    url = postgres_url()
    assert url is not None
    metrics = run_quick("stations_pg.py", tmp_path, "--database-url", url)
    names = {m["metric"] for m in metrics}
    assert {
        "paced_save_p95_ms_2",
        "saturated_saves_per_s_2",
        "server_cpu_ms_per_save_2",
        "sync_2_s",
        "dashboard_ms_pg",
        "dashboard_ms_pg_p_chart",
    } <= names
    assert not any(p.name.startswith("qc-bench-") for p in tmp_path.iterdir()), "temp dir left"
