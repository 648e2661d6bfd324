"""bench/save_latency.py runs in its quick mode: answers saved through the window's
database lane beside a sync attempt against a server that never answers, a signed export
with a slow time-stamp server and a focus stack, and ends with its JSON lines. No timing is
asserted (the ratios are for people to judge, see docs/design.md, Benchmarks); that the
load really ran beside the saves is (the script fails when any of it did not)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_save_latency_runs(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QCSTATION_")}
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path), TMPDIR=str(tmp_path))
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "save_latency.py"), "--quick"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    out = proc.stdout
    tail = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
    assert [m["metric"] for m in tail] == ["p50", "p95", "max"]
    for m in tail:
        assert m["bench"] == "save_latency" and m["unit"] == "ms"
        assert math.isfinite(m["value"]) and m["value"] > 0 and m["reference"] > 0
    assert not any(p.name.startswith("qc-bench-save-latency-") for p in tmp_path.iterdir())
