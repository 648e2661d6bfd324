"""Demo data: users with known passwords and realistic inspections across every stage.

Everything goes through the same services an inspector's screen uses (so the demo is
audited, validated and durable like real work); a moving clock spreads the records over
the past weeks. The same seed gives the same records. How one item is answered lives in
services/demo_answers.py, the SKUs the demo inspects in services/demo_skus.py.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from qcstation.domain.defects import Disposition
from qcstation.domain.inspections import Answer, Outcome, SubjectKind, positions_of
from qcstation.domain.signing import Meaning
from qcstation.domain.stages import Stage
from qcstation.domain.templates import (
    ChecklistItem,
    ChecklistTemplate,
    FollowUp,
    PhotoItem,
    TextItem,
)
from qcstation.domain.users import Role, User
from qcstation.imaging.scenes import encode_png, render_piece
from qcstation.services import (
    accounts,
    demo_answers,
    demo_quality,
    inspections,
    keys,
    setup,
    signing,
)
from qcstation.services.context import Station
from qcstation.services.demo_content import (
    applicable_after,
    not_applicable_after,
)
from qcstation.services.demo_skus import SKUS, demo_materials
from qcstation.services.errors import Conflict, LoginFailed
from qcstation.store import schema
from qcstation.store.models import DefectCode, DefectRow, InspectionRow, UserRow

# Demo logins, printed when the demo starts. Never use these names on a real station.
DEMO_USERS: tuple[tuple[str, str, Role, str], ...] = (
    ("ada", "ada-demo-pass", Role.ADMIN, "Ada Admin"),
    ("sam", "sam-demo-pass", Role.SUPERVISOR, "Sam Supervisor"),
    ("ines", "ines-demo-pass", Role.INSPECTOR, "Ines Inspector"),
    ("ivan", "ivan-demo-pass", Role.INSPECTOR, "Ivan Inspector"),
)


def logins() -> list[tuple[str, str, str]]:
    """(user, password, role) of each demo user, for the sign-in form and the console."""
    return [(user, password, role.value) for user, password, role, _name in DEMO_USERS]


class DemoRefused(Conflict):
    pass


@dataclass(frozen=True)
class DemoSummary:
    users: list[tuple[str, str, str]]  # username, password, role
    inspections: int
    by_verdict: dict[str, int]
    by_stage: dict[str, int]
    defects: int
    unfinished: int

    def lines(self, data_dir: Path) -> list[str]:
        """What the command line and the window's terminal print about the demo data."""
        stages = sorted(self.by_stage.items(), key=lambda kv: Stage(kv[0]).order)
        return [
            f"Demo data in {data_dir}",
            f"  {self.inspections} inspections ({self.unfinished} in progress), "
            f"{self.defects} defects",
            "  by verdict: " + ", ".join(f"{k} {v}" for k, v in sorted(self.by_verdict.items())),
            "  by stage:   " + ", ".join(f"{Stage(k).label} {v}" for k, v in stages),
            "Demo logins (user / password / role):",
            *(f"  {user:<6} {password:<16} {role}" for user, password, role in self.users),
        ]


class DemoClock:
    """A clock that steps forward a few minutes per call, from a start in the past."""

    def __init__(self, start: datetime, rng: random.Random):
        self.t = start
        self.rng = rng

    def __call__(self) -> datetime:
        self.t += timedelta(seconds=self.rng.randint(20, 240))
        return self.t

    def jump(self, minutes: int) -> None:
        self.t += timedelta(minutes=minutes)


class _Steps:
    """A clock two minutes further on each call, for signatures after completion."""

    def __init__(self, start: datetime, step: timedelta = timedelta(minutes=2)):
        self.t = start
        self.step = step

    def __call__(self) -> datetime:
        self.t += self.step
        return self.t


@contextlib.contextmanager
def _own_clock(station: Station) -> Iterator[None]:
    """Time that passes without the demo's dice: what was added to the demo later (the
    certificate's claims) leaves the rest of it as it was."""
    demo_clock = station.clock
    if not isinstance(demo_clock, DemoClock):
        yield
        return
    steps = _Steps(demo_clock.t, timedelta(seconds=40))
    station.clock = steps
    try:
        yield
    finally:
        demo_clock.t = steps.t
        station.clock = demo_clock


def ensure_demo_users(station: Station) -> dict[str, User]:
    """Set up a fresh data directory for the demo, or log into one set up before."""
    state, _ = schema.state(station.db.engine)
    fresh = state is schema.SchemaState.EMPTY
    if not fresh:
        with station.db.read() as s:
            fresh = not s.scalar(select(func.count()).select_from(UserRow))
    if fresh:
        name, password, _, full = DEMO_USERS[0]
        setup.init(station, name, password, full)
    else:
        schema.upgrade(station.db.engine)  # a demo directory from an older qcstation
    users: dict[str, User] = {}
    try:
        users["ada"] = accounts.login(station, "ada", DEMO_USERS[0][1])
    except LoginFailed:
        raise DemoRefused(
            "demo data goes only into an empty data directory or one made by the demo; "
            "choose another with --data-dir"
        ) from None
    root = keys.root_passphrase(DEMO_USERS[0][1])
    existing = {u.username for u in accounts.list_users(station)}
    for name, password, role, full in DEMO_USERS[1:]:
        if name not in existing:
            accounts.create_user(station, users["ada"], name, password, role, full, root)
        users[name] = accounts.login(station, name, password)
    _ensure_signing_keys(station, users, root)
    return users


def _ensure_signing_keys(station: Station, users: dict[str, User], root: str) -> None:
    """A demo directory made before signing keys existed gets its root and keys now."""
    have = {k.username for k in keys.list_keys(station) if k.kind == "user"}
    missing = [(n, p) for n, p, _r, _f in DEMO_USERS if n in users and n not in have]
    if not missing and any(k.kind == "root" for k in keys.list_keys(station)):
        return
    for name, password in missing:
        keys.request_key(station, users[name], password)
    if not keys.setup_plant(station, users["ada"], root):
        keys.issue_pending(station, users["ada"], root)
    if keys.warnings(station):  # a demo made before 0.2: its seal was every user's
        keys.rotate(station, users["ada"], root)


def _password(username: str) -> str:
    return next(p for n, p, _r, _f in DEMO_USERS if n == username)


def sign_demo(station: Station, inspection_id: str, inspector: User, approver: User | None) -> None:
    """Sign as the inspector who performed it, and (for some) as the approving supervisor."""
    signing.sign(
        station, inspector, inspection_id, Meaning.PERFORMED, _password(inspector.username)
    )
    if approver is not None:
        signing.sign(
            station, approver, inspection_id, Meaning.APPROVED, _password(approver.username)
        )


def _items(
    tpl: ChecklistTemplate, counts: dict[str, int]
) -> Iterator[tuple[ChecklistItem, int | None]]:
    for item in tpl.items():
        for pos in positions_of(item, counts):
            yield item, pos


def _defect_code(station: Station, item: ChecklistItem, stage: Stage, rng: random.Random) -> str:
    if item.on_fail.defects:
        return rng.choice(item.on_fail.defects)
    with station.db.read() as s:
        codes = [c.code for c in s.scalars(select(DefectCode)) if stage.value in c.stages]
    return rng.choice(codes)


# How a demo photo looks when it shows a given defect (others show a clean piece).
_DEFECT_LOOK = {
    "CST-POR": "porosity",
    "SET-PRONG": "missing_prong",
    "SET-CHIP": "chip",
    "POL-SCR": "scratch",
}


def run_inspection(
    station: Station, inspector: User, stage: Stage, rng: random.Random, finish: bool = True
) -> str:
    """One inspection answered item by item; about one in three has a failure or two."""
    sku, _ = rng.choice(SKUS)
    lot = stage is Stage.RECEIVING
    ins = inspections.start(
        station,
        inspector,
        stage,
        job_ticket=f"JT-26-{rng.randint(1000, 9999):06d}",
        sku=sku,
        serial="" if lot else f"SN{rng.randint(100000, 999999)}",
        subject=SubjectKind.LOT if lot else SubjectKind.PIECE,
        lot_size=200 if lot else None,
        sample_size=32 if lot else None,
    )
    pairs = list(_items(ins.template, ins.position_counts))
    faulty: set[int] = set()
    # What a certificate states is recorded, never failed, and from dice of its own: the
    # rest of the demo stays what it was before the checklist recorded claims.
    claims = random.Random(ins.job_ticket)
    if rng.random() < 0.3:
        failable = [
            i
            for i, (it, _) in enumerate(pairs)
            if not isinstance(it, TextItem) and it.claim is None
        ]
        faulty = set(rng.sample(failable, k=min(len(failable), rng.choice((1, 1, 2)))))
    not_here: frozenset[str] = frozenset()
    applies: frozenset[str] = frozenset()
    market: str | None = None
    for index, (item, pos) in enumerate(pairs):
        if item.id in not_here and item.allow_na:  # another finish's, another market's
            inspections.record_answer(station, inspector, ins.id, Answer(item.id, pos, Outcome.NA))
            continue
        picked = demo_answers.picked(item, sku, claims)
        if picked is not None:
            inspections.record_answer(station, inspector, ins.id, picked)
            not_here = not_here | not_applicable_after(item.id, picked.value)
            applies = applies | applicable_after(item.id, picked.value)
            market = picked.value if item.id == "destination-market" else market
            continue
        bad = index in faulty
        code = _defect_code(station, item, stage, rng) if bad else None
        wants_photo = bad and FollowUp.PHOTO in item.on_fail.require
        if item.photo_required or isinstance(item, PhotoItem) or wants_photo:
            look = _DEFECT_LOOK.get(code or "")
            png = encode_png(render_piece(rng.randint(0, 10**6), defect=look))
            inspections.attach_evidence(
                station,
                inspector,
                ins.id,
                png,
                "image/png",
                item.id,
                pos,
                original_name=f"{item.id}.png",
                meta={"source": "demo", "shows": look or "piece"},
            )
        if item.claim:
            with _own_clock(station):
                inspections.record_answer(
                    station, inspector, ins.id, demo_answers.claim(item, pos, claims, market)
                )
            continue
        answer = demo_answers.answer(item, pos, rng, bad, item.id in applies)
        if bad and FollowUp.NOTE in item.on_fail.require:
            answer = replace(answer, note="seen at 10x under the ring light")
        outcome = inspections.record_answer(station, inspector, ins.id, answer)
        if outcome.evaluation.outcome is Outcome.FAIL and FollowUp.DEFECT in item.on_fail.require:
            inspections.raise_defect(
                station,
                inspector,
                ins.id,
                code or _defect_code(station, item, stage, rng),
                item.id,
                pos,
                # mostly left to the supervisor's Nonconformance page (same dice as before)
                disposition=rng.choice(
                    (
                        Disposition.PENDING,
                        Disposition.PENDING,
                        Disposition.SCRAP,
                        Disposition.PENDING,
                    )
                ),
                note=rng.choice(("", "found at 10x", "customer-facing side", "near the hallmark")),
            )
    if finish:
        inspections.complete(station, inspector, ins.id)
    return ins.id


MIN_GAP_MINUTES = 5


def max_gap_minutes(count: int) -> int:
    """The longest pause between two demo inspections: shorter the more there are (a
    working day of 8 hours shared by every 20), never below the shortest pause. Below it,
    from 1,940 inspections on, the dice had an empty range (a ValueError)."""
    return max(MIN_GAP_MINUTES, 8 * 60 // max(1, count // 20))


def fill(station: Station, count: int = 40, seed: int = 2026, unfinished: int = 1) -> DemoSummary:
    rng = random.Random(seed)
    approvals = random.Random(seed + 1)
    users = ensure_demo_users(station)
    demo_materials(station, users["sam"])
    real_clock = station.clock
    clock = DemoClock(real_clock() - timedelta(days=max(7, count // 8)), rng)
    station.clock = clock
    try:
        stages = list(Stage)
        for i in range(count):
            inspector = users[rng.choice(("ines", "ivan"))]
            stage = stages[i % len(stages)] if i < len(stages) else rng.choice(stages)
            finish = i < count - unfinished
            ins_id = run_inspection(station, inspector, stage, rng, finish=finish)
            if finish:
                # Own clock and dice, so the demo records stay the same as before signing.
                station.clock = _Steps(clock.t)
                try:
                    approver = users["sam"] if approvals.random() < 0.4 else None
                    sign_demo(station, ins_id, inspector, approver)
                finally:
                    station.clock = clock
            clock.jump(rng.randint(MIN_GAP_MINUTES, max_gap_minutes(count)))
        # Own dice, so the inspections above stay the same as before dispositions existed.
        demo_quality.fill(station, users, random.Random(seed + 2))
    finally:
        station.clock = real_clock
    return summarize(station)


def fill_if_empty(station: Station, count: int = 40) -> DemoSummary:
    """The demo station as the window opens it: filled with ``count`` inspections on first
    use (an empty database), else left as it is; either way what it holds."""
    state, _ = schema.state(station.db.engine)
    if state is schema.SchemaState.EMPTY:
        return fill(station, count=count)
    return summarize(station)


def summarize(station: Station) -> DemoSummary:
    with station.db.read() as s:
        by_verdict = dict(
            s.execute(
                select(func.coalesce(InspectionRow.verdict, "in progress"), func.count()).group_by(
                    InspectionRow.verdict
                )
            ).all()
        )
        by_stage = dict(
            s.execute(select(InspectionRow.stage, func.count()).group_by(InspectionRow.stage)).all()
        )
        defects = s.scalar(select(func.count()).select_from(DefectRow)) or 0
    total = sum(by_stage.values())
    return DemoSummary(
        [(u, p, r.value) for u, p, r, _ in DEMO_USERS],
        total,
        {str(k): int(v) for k, v in by_verdict.items()},
        {str(k): int(v) for k, v in by_stage.items()},
        int(defects),
        int(by_verdict.get("in progress", 0)),
    )
