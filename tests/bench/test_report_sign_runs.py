"""bench/report_sign.py runs in its quick mode and ends with its JSON lines (no timing is
asserted: the ratios it prints are for people to judge, see DESIGN.md, Benchmarks)."""

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
def test_report_sign_runs(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QCSTATION_")}
    env.update(HOME=str(tmp_path), TMPDIR=str(tmp_path))
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "report_sign.py"), "--quick"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    tail = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
    assert {m["metric"] for m in tail} == {"build_sign", "build", "sign", "verify", "peak_memory"}
    for m in tail:
        assert m["bench"] == "report_sign" and m["unit"] in ("ms", "MiB")
        assert math.isfinite(m["value"]) and m["value"] > 0 and m["reference"] > 0
    assert not any(p.name.startswith("qc-bench-report-") for p in tmp_path.iterdir())
