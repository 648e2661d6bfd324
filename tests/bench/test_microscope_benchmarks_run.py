"""bench/preview_paint.py and bench/capture_service.py run in --quick mode and end with
their JSON lines. No timing is asserted: the scripts print ratios for people to judge
(DESIGN.md, Benchmarks)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
KEYS = {"bench", "metric", "value", "reference", "ratio", "unit"}


def run_quick(script: str, tmp_path: Path, *extra: str) -> dict[str, dict[str, object]]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("QCSTATION_DATA_DIR", "QCSTATION_DATABASE_URL", "QCSTATION_PASSWORD")
    }
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path / "home"), TMPDIR=str(tmp_path))
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / script), "--quick", *extra],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    lines = proc.stdout.rstrip("\n").splitlines()
    bench = script.removesuffix(".py")
    assert lines[0].startswith(bench), "the table comes first"
    tail: list[dict[str, object]] = []
    for line in reversed(lines):  # the JSON lines are the last ones printed
        if not line.startswith("{"):
            break
        tail.insert(0, json.loads(line))
    assert tail, f"{script} printed no JSON lines at the end"
    for m in tail:
        assert set(m) == KEYS and m["bench"] == bench and m["unit"] == "ms", m
        value, ref = m["value"], m["reference"]
        assert isinstance(value, float) and isinstance(ref, float)
        assert math.isfinite(value) and value > 0 and ref > 0
        assert isinstance(m["ratio"], float) and abs(m["ratio"] - value / ref) < 1e-3
    return {str(m["metric"]): m for m in tail}


def test_preview_paint_runs(tmp_path: Path) -> None:
    m = run_quick("preview_paint.py", tmp_path)
    assert set(m) == {
        f"paint_{view}_{size}"
        for view in ("fit", "zoom2x", "one_to_one")
        for size in ("1280x960", "1920x1080")
    }


def test_capture_service_runs(tmp_path: Path) -> None:
    m = run_quick("capture_service.py", tmp_path, "--tmp-dir", str(tmp_path))
    assert set(m) == {"capture_1280x960_median", "capture_1920x1080_median"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("qc-bench-")]
