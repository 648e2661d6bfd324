"""The benchmark scripts run and end with their JSON lines. No timing is asserted here:
performance is judged by the ratios the scripts print (see DESIGN.md, Benchmarks)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
KEYS = {"bench", "metric", "value", "reference", "ratio", "unit"}


def run_quick(script: str, tmp_path: Path, *extra: str) -> list[dict[str, object]]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("QCSTATION_DATA_DIR", "QCSTATION_DATABASE_URL", "QCSTATION_PASSWORD")
    }
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_DATA_HOME=str(tmp_path / "home" / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "home" / "config"),
        TMPDIR=str(tmp_path),
    )
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / script), "--quick", *extra],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"{script} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    lines = proc.stdout.rstrip("\n").splitlines()
    tail: list[dict[str, object]] = []
    for line in reversed(lines):  # the JSON lines are the last ones printed
        if not line.startswith("{"):
            break
        tail.insert(0, json.loads(line))
    assert tail, f"{script} printed no JSON lines at the end:\n{proc.stdout[-2000:]}"
    bench = script.removesuffix(".py")
    for m in tail:
        assert set(m) == KEYS, m
        assert m["bench"] == bench
        assert isinstance(m["metric"], str) and m["metric"]
        for key in ("value", "reference"):
            v = m[key]
            assert isinstance(v, (int, float)) and math.isfinite(v) and v > 0, m
        assert m["ratio"] is None or isinstance(m["ratio"], (int, float)), m
        assert isinstance(m["unit"], str) and m["unit"]
    assert len({m["metric"] for m in tail}) == len(tail), "metric names repeat"
    return tail


@pytest.mark.slow
def test_answer_save_runs(tmp_path: Path) -> None:
    metrics = run_quick("answer_save.py", tmp_path, "--tmp-dir", str(tmp_path))
    names = {m["metric"] for m in metrics}
    assert {"insert_median", "insert_p95", "update_median", "update_p95"} <= names
    assert not any(p.name.startswith("qc-bench-") for p in tmp_path.iterdir()), "temp dir left"


@pytest.mark.slow
def test_history_search_runs(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    metrics = run_quick("history_search.py", tmp_path, "--cache-dir", str(cache))
    names = {m["metric"] for m in metrics}
    for query in ("sku", "serial", "date_range", "verdict", "sku_date"):
        assert {f"{query}_median", f"{query}_p95"} <= names
    assert (cache / "history-20000" / "qcstation.db").exists()
