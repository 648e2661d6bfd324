"""The window benchmark scripts (ui_startup, ui_memory, ui_responsiveness) run in --quick
mode and end with their JSON lines. No timing or memory figure is asserted: the scripts
print them beside their references for people to judge (DESIGN.md, Benchmarks)."""

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


def run_quick(script: str, tmp_path: Path, *extra: str) -> dict[str, dict[str, object]]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("QCSTATION_DATA_DIR", "QCSTATION_DATABASE_URL", "QCSTATION_PASSWORD")
    }
    env.update(
        QT_QPA_PLATFORM="offscreen",
        HOME=str(tmp_path / "home"),
        XDG_DATA_HOME=str(tmp_path / "home" / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "home" / "config"),
        XDG_CACHE_HOME=str(tmp_path / "home" / "cache"),
        XDG_RUNTIME_DIR=str(tmp_path / "runtime"),
        TMPDIR=str(tmp_path),
    )
    (tmp_path / "runtime").mkdir(mode=0o700)
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / script),
            "--quick",
            "--tmp-dir",
            str(tmp_path),
            *extra,
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, f"{script} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    lines = proc.stdout.rstrip("\n").splitlines()
    assert lines[0].startswith(script.removesuffix(".py")), "the table comes first"
    tail: list[dict[str, object]] = []
    for line in reversed(lines):  # the JSON lines are the last ones printed
        if not line.startswith("{"):
            break
        tail.insert(0, json.loads(line))
    assert tail, f"{script} printed no JSON lines at the end:\n{proc.stdout[-2000:]}"
    for m in tail:
        assert set(m) == KEYS, m
        assert m["bench"] == script.removesuffix(".py")
        assert isinstance(m["metric"], str) and m["metric"]
        for key in ("value", "reference"):
            v = m[key]
            assert isinstance(v, (int, float)) and math.isfinite(v), m
        assert m["ratio"] is None or isinstance(m["ratio"], (int, float)), m
        assert isinstance(m["unit"], str) and m["unit"]
    metrics = {str(m["metric"]): m for m in tail}
    assert len(metrics) == len(tail), "metric names repeat"
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith("qc-bench-")]
    assert not leftovers, f"temp dirs left behind: {leftovers}"
    return metrics


@pytest.mark.slow
def test_ui_startup_runs(tmp_path: Path) -> None:
    m = run_quick("ui_startup.py", tmp_path)
    assert set(m) == {"startup_median", "startup_p95", "station_open_median"}
    # The station opens behind the form, so it is ready no sooner than the form.
    assert m["station_open_median"]["value"] >= m["startup_median"]["value"]  # type: ignore[operator]
    for metric in m.values():
        assert metric["unit"] == "s"
        assert 0 < metric["value"] < 60 and 0 < metric["reference"] < 60  # type: ignore[operator]


@pytest.mark.slow
def test_ui_memory_runs(tmp_path: Path) -> None:
    m = run_quick("ui_memory.py", tmp_path)
    assert set(m) == {"rss_login_window", "rss_after_login", "rss_growth"}
    assert all(metric["unit"] == "MB" for metric in m.values())
    assert m["rss_after_login"]["value"] > m["rss_after_login"]["reference"] > 0  # type: ignore[operator]
    assert m["rss_growth"]["reference"] == 20.0  # the goal is the growth's reference


@pytest.mark.slow
def test_ui_responsiveness_runs(tmp_path: Path) -> None:
    m = run_quick("ui_responsiveness.py", tmp_path)
    assert set(m) == {"lateness_max", "lateness_p99", "lateness_p95"}
    for metric in m.values():
        assert metric["unit"] == "ms"
        assert metric["value"] >= 0 and metric["reference"] >= 0  # type: ignore[operator]


@pytest.mark.slow
def test_checklist_model_runs(tmp_path: Path) -> None:
    m = run_quick("checklist_model.py", tmp_path)
    assert set(m) == {"step"}
    assert m["step"]["unit"] == "ms"
    assert m["step"]["value"] > 0 and m["step"]["reference"] > 0  # type: ignore[operator]
