"""`qcstation --self-test`: the whole station path on a throwaway data directory.

For support calls and for checking a frozen bundle: it opens and migrates a fresh
database, loads the shipped checklists, runs an inspection with evidence and a defect,
and verifies the audit trail. Each step prints OK or what went wrong.
"""

from __future__ import annotations

import random
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path

from qcstation import config
from qcstation.domain.stages import Stage
from qcstation.imaging.scenes import encode_png, render_piece
from qcstation.services import audit, demo
from qcstation.services.context import connect

Step = tuple[str, bool, str]


def run(say: Callable[[str], None], data_dir: Path | None = None) -> list[Step]:
    results: list[Step] = []
    with tempfile.TemporaryDirectory(prefix="qcstation-selftest-") as tmp:
        loc = config.resolve(
            data_dir or Path(tmp), f"sqlite:///{Path(data_dir or tmp) / 'selftest.db'}"
        )
        station = connect(loc)
        state: dict[str, object] = {}

        def step(name: str, action: Callable[[], str]) -> None:
            try:
                detail = action()
                results.append((name, True, detail))
                say(f"OK    {name}: {detail}")
            except Exception as exc:  # a self-test reports every failure and goes on
                results.append((name, False, str(exc)))
                say(f"FAIL  {name}: {exc}")
                say(traceback.format_exc(limit=3))

        def setup_station() -> str:
            users = demo.ensure_demo_users(station)
            state["users"] = users
            return f"schema created, {len(users)} users, checklists loaded"

        def inspect() -> str:
            users = state["users"]
            assert isinstance(users, dict)
            inspection_id = demo.run_inspection(
                station, users["ines"], Stage.CASTING, random.Random(7)
            )
            state["inspection"] = inspection_id
            return f"inspection {inspection_id} completed"

        def evidence() -> str:
            png = encode_png(render_piece(1, 320, 240))
            sha = station.evidence.put(png).sha256
            assert station.evidence.read(sha) == png
            return f"{len(png)} bytes stored and read back by SHA-256"

        def audit_chain() -> str:
            report = audit.verify(station)
            if not report.ok:
                raise RuntimeError(str(report.findings[0]))
            return f"{report.entries} entries intact"

        step("database and checklists", setup_station)
        step("inspection", inspect)
        step("evidence store", evidence)
        step("audit trail", audit_chain)
        station.close()
    ok = all(r[1] for r in results)
    say("self-test passed" if ok else "self-test FAILED")
    return results
