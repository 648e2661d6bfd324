"""`qcstation --self-test`: the whole station path on a throwaway data directory.

For support calls and for checking a frozen bundle: it opens and migrates a fresh
database, loads the shipped checklists, reads frames from the synthetic camera, runs an
inspection with evidence and a defect, builds, signs and verifies its report, renders
the main window (a check the caller hands in: only ui/ may touch Qt) and verifies the
audit trail. Each check prints one line, OK or FAILED; a failing check does not stop
the others, so one run shows everything that is wrong.
"""

from __future__ import annotations

import random
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qcstation import config, content
from qcstation.domain.stages import Stage
from qcstation.domain.users import User
from qcstation.services.context import Station, connect
from qcstation.store import schema

# The checks import what they exercise themselves: in a bundle that lost a module (or a
# library it loads), that check fails and names it, and the others still run.

# A check the caller adds (the main window): gets the open station, returns its detail.
ExtraCheck = tuple[str, Callable[[Station], str]]


class _Skipped(RuntimeError):
    """A check that cannot run because one it builds on failed."""


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    seconds: float


def run(
    say: Callable[[str], None],
    data_dir: Path | None = None,
    extra: tuple[ExtraCheck, ...] = (),
) -> list[Check]:
    """Run every check on data_dir (default: a temporary directory, removed after)."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="qcstation-selftest-") as tmp:
        where = Path(data_dir or tmp)
        checks = _run_in(where, say, extra)
    failed = [c for c in checks if not c.ok]
    total = time.perf_counter() - started
    if failed:
        say(
            f"self-test FAILED: {len(failed)} of {len(checks)} checks ({total:.1f} s); "
            "send this output to support"
        )
    else:
        say(f"self-test passed: {len(checks)} checks in {total:.1f} s")
    return checks


def _run_in(where: Path, say: Callable[[str], None], extra: tuple[ExtraCheck, ...]) -> list[Check]:
    loc = config.resolve(where, f"sqlite:///{where / 'selftest.db'}")
    station = connect(loc)
    checks: list[Check] = []
    users: dict[str, User] = {}
    done: dict[str, str] = {}

    def check(name: str, action: Callable[[], str]) -> None:
        t0 = time.perf_counter()
        where_from = ""
        try:
            detail = action()
            ok = True
        except Exception as exc:  # a self-test reports every failure and goes on
            ok = False
            if isinstance(exc, _Skipped):
                detail = f"skipped: {exc}"
            else:
                detail = f"{type(exc).__name__}: {exc}"
                where_from = traceback.format_exc(limit=-3).rstrip()
        result = Check(name, ok, detail, time.perf_counter() - t0)
        checks.append(result)
        say(f"{'OK' if ok else 'FAILED':<7} {name} ({result.seconds:.1f} s): {detail}")
        if where_from:
            say(where_from)

    def need(key: str) -> str:
        if key not in done:
            raise _Skipped(f"it needs the {key} check, which failed")
        return done[key]

    def database() -> str:
        from qcstation.services import demo

        before, after = schema.upgrade(station.db.engine)
        users.update(demo.ensure_demo_users(station))
        done["database"] = after
        return (
            f"{where / 'selftest.db'} migrated from {before or 'empty'} to schema {after}, "
            f"{len(users)} users with signing keys"
        )

    def checklists() -> str:
        from qcstation.services import templates

        need("database")
        shipped = content.shipped_templates()
        active = [t for t in templates.list_templates(station) if t.active]
        stages = {t.stage for t in active}
        if len(active) != len(shipped) or stages != set(Stage):
            raise RuntimeError(
                f"{len(active)} active checklists for {len(stages)} stages from "
                f"{len(shipped)} files in {content.templates_dir()}"
            )
        return f"{len(active)} checklists, one per stage, from {content.templates_dir()}"

    def camera() -> str:
        import numpy as np

        from qcstation.imaging.focus import FocusMeter
        from qcstation.imaging.synthetic import SyntheticCamera, SyntheticConfig

        cam = SyntheticCamera(SyntheticConfig(seed=7))
        cam.open()
        try:
            frames = [cam.read() for _ in range(3)]
        finally:
            cam.close()
        meter = FocusMeter()
        for f in frames:
            if f.image.size == 0 or float(np.std(f.image)) < 1.0:
                raise RuntimeError(f"frame {f.seq} is blank")
            level = meter.update(f.image).level
        seqs = [f.seq for f in frames]
        if seqs != sorted(set(seqs)):
            raise RuntimeError(f"frame numbers out of order: {seqs}")
        return f"{len(frames)} frames {frames[0].width}x{frames[0].height}, focus {level:.2f}"

    def inspection() -> str:
        from qcstation.services import demo

        need("database")
        done["inspection"] = demo.run_inspection(
            station, users["ines"], Stage.CASTING, random.Random(7)
        )
        return f"inspection {done['inspection']} completed"

    def evidence() -> str:
        from qcstation.imaging.scenes import encode_png, render_piece

        png = encode_png(render_piece(1, 320, 240))
        sha = station.evidence.put(png).sha256
        if station.evidence.read(sha) != png:
            raise RuntimeError("the stored image reads back different")
        return f"{len(png)} bytes stored and read back by SHA-256"

    def report() -> str:
        from qcstation.services import demo, documents, verify

        ins = need("inspection")
        inspector, supervisor = users["ines"], users["sam"]
        demo.sign_demo(station, ins, inspector, None)
        pdf = where / "selftest-report.pdf"
        # reports are issued by a supervisor, who holds the plant's document key
        exported = documents.export_report(station, supervisor, _demo_password("sam"), ins, pdf)
        result = verify.verify_pdf(pdf, station)
        if not result.ok:
            raise RuntimeError("; ".join(result.problems))
        return f"report {exported.number} signed ({pdf.stat().st_size} bytes) and verified"

    def audit_trail() -> str:
        from qcstation.services import audit

        found = audit.verify(station)
        if not found.ok:
            raise RuntimeError(str(found.findings[0]))
        return f"{found.entries} entries intact"

    try:
        check("database", database)
        check("checklists", checklists)
        check("synthetic camera", camera)
        check("inspection", inspection)
        check("evidence store", evidence)
        check("signed report", report)
        for name, action in extra:
            check(name, lambda action=action: action(station))  # type: ignore[misc]
        check("audit trail", audit_trail)
    finally:
        station.close()
    return checks


def _demo_password(username: str) -> str:
    from qcstation.services import demo

    return next(p for name, p, _role, _full in demo.DEMO_USERS if name == username)
