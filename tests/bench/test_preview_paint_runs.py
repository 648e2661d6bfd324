"""bench/preview_paint.py runs in --quick mode and ends with its JSON lines. No timing is
asserted: the script prints ratios for people to judge (DESIGN.md, Benchmarks)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
KEYS = {"bench", "metric", "value", "reference", "ratio", "unit"}


def test_preview_paint_runs(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("QCSTATION_DATA_DIR", "QCSTATION_DATABASE_URL", "QCSTATION_PASSWORD")
    }
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path / "home"), TMPDIR=str(tmp_path))
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "preview_paint.py"), "--quick"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    lines = proc.stdout.rstrip("\n").splitlines()
    assert lines[0].startswith("preview_paint"), "the table comes first"
    tail = [json.loads(x) for x in lines if x.startswith("{")]
    assert lines[-len(tail) :] == [x for x in lines if x.startswith("{")], "JSON lines come last"
    names = {m["metric"] for m in tail}
    assert names == {
        f"paint_{view}_{size}"
        for view in ("fit", "zoom2x", "one_to_one")
        for size in ("1280x960", "1920x1080")
    }
    for m in tail:
        assert set(m) == KEYS and m["bench"] == "preview_paint" and m["unit"] == "ms"
        assert math.isfinite(m["value"]) and m["value"] > 0 and m["reference"] > 0
        assert (
            m["ratio"] == round(m["value"] / m["reference"], 4)
            or abs(m["ratio"] - m["value"] / m["reference"]) < 1e-3
        )
