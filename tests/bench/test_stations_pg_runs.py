"""The multi-station PostgreSQL benchmark runs and ends with its JSON lines (no timing is
asserted). It needs a PostgreSQL server: skipped without one, unless
QCSTATION_REQUIRE_POSTGRES is set, then it fails (see tests/conftest.py)."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

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
        "sync_2_s",
        "dashboard_ms_pg",
        "dashboard_ms_pg_p_chart",
    } <= names
    assert not any(p.name.startswith("qc-bench-") for p in tmp_path.iterdir()), "temp dir left"


@pytest.mark.postgres
def test_the_server_cpu_counts_a_backend_after_its_connection_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The server's CPU per save is read before the stations connect and after they have
    gone: a backend's CPU must still count once it has exited (the bench once left out
    every station's). The test's server runs on this machine, as the bench's does."""
    url = postgres_url()
    assert url is not None
    monkeypatch.syspath_prepend(str(Path(__file__).parents[2] / "bench"))
    import stations_pg

    before = stations_pg.server_cpu()
    if before == 0:
        pytest.skip("the test's PostgreSQL server runs on another machine: /proc cannot see it")
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as conn:  # a backend of its own, busy for a while, then gone
        backend = Path(f"/proc/{conn.info.backend_pid}")
        conn.execute("SELECT count(*) FROM generate_series(1, 5000000)").fetchone()
    for _ in range(1000):  # until it has exited and the postmaster has reaped it
        if not backend.exists():
            break
        time.sleep(0.01)
    assert not backend.exists(), "the backend did not exit"
    # the highest of a few reads: a read misses a process that exits while it is made
    spent = max(stations_pg.server_cpu() - before for _ in range(5))
    assert spent >= 0.1, f"the closed backend's CPU was not counted ({spent:.2f} s)"
