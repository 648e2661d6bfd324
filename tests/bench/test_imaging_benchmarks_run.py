"""The imaging benchmark scripts run in --quick mode and end with their JSON lines.
No timing is asserted: the scripts print ratios for people to judge (DESIGN.md)."""

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
    env.update(HOME=str(tmp_path / "home"), TMPDIR=str(tmp_path))
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / script), "--quick", *extra],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, f"{script} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    lines = proc.stdout.rstrip("\n").splitlines()
    tail: list[dict[str, object]] = []
    for line in reversed(lines):  # the JSON lines are the last ones printed
        if not line.startswith("{"):
            break
        tail.insert(0, json.loads(line))
    assert tail, f"{script} printed no JSON lines at the end:\n{proc.stdout[-2000:]}"
    assert lines[0].startswith(script.removesuffix(".py")), "the table comes first"
    for m in tail:
        assert set(m) == KEYS, m
        assert m["bench"] == script.removesuffix(".py")
        for key in ("value", "reference"):
            v = m[key]
            assert isinstance(v, (int, float)) and math.isfinite(v) and v > 0, m
        assert isinstance(m["ratio"], (int, float)), m
        expected = m["value"] / m["reference"]  # type: ignore[operator]
        assert m["ratio"] == pytest.approx(expected, rel=1e-3, abs=1e-4)
        assert isinstance(m["unit"], str) and m["unit"]
    metrics = {str(m["metric"]): m for m in tail}
    assert len(metrics) == len(tail), "metric names repeat"
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith("qc-bench-")]
    assert not leftovers, f"temp dirs left behind: {leftovers}"
    return metrics


@pytest.mark.slow
def test_preview_pipeline_runs(tmp_path: Path) -> None:
    m = run_quick("preview_pipeline.py", tmp_path, "--tmp-dir", str(tmp_path))
    assert set(m) == {
        "fps_1280x960",
        "fps_1920x1080",
        "latency_p95_1280x960",
        "latency_p95_1920x1080",
        "rss_end",
    }
    assert m["fps_1280x960"]["unit"] == "fps" and m["rss_end"]["unit"] == "MB"
    assert m["latency_p95_1280x960"]["reference"] == pytest.approx(1000 / 30, rel=1e-3)


@pytest.mark.slow
def test_focus_stack_runs(tmp_path: Path) -> None:
    m = run_quick("focus_stack.py", tmp_path)
    assert set(m) == {"stack_5x960x540"} and m["stack_5x960x540"]["unit"] == "s"


@pytest.mark.slow
def test_capture_evidence_runs(tmp_path: Path) -> None:
    m = run_quick("capture_evidence.py", tmp_path, "--tmp-dir", str(tmp_path))
    assert set(m) == {"capture_1280x960_median", "capture_1920x1080_median"}
