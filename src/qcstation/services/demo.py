"""Demo data: users with known passwords and realistic inspections across every stage.

Everything goes through the same services an inspector's screen uses (so the demo is
audited, validated and durable like real work); a moving clock spreads the records over
the past weeks. The same seed gives the same records.
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
from qcstation.domain.specs import Specification
from qcstation.domain.stages import Stage
from qcstation.domain.templates import (
    ChecklistItem,
    ChecklistTemplate,
    ChoiceItem,
    FollowUp,
    MeasurementItem,
    PhotoItem,
    TextItem,
)
from qcstation.domain.users import Role, User
from qcstation.imaging.scenes import encode_png, render_piece
from qcstation.services import (
    accounts,
    demo_quality,
    inspections,
    keys,
    setup,
    signing,
    skus,
    specs,
)
from qcstation.services.context import Station
from qcstation.services.demo_content import (
    DEMO_FINISH,
    DEMO_MARKETS,
    applicable_after,
    not_applicable_after,
)
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


SKUS = (
    ("RG-SOL-0412", "18k yellow gold solitaire ring, 0.50 ct round brilliant"),
    ("RG-ETR-0733", "Platinum eternity band, 21 x 0.05 ct"),
    ("ER-STD-1108", "14k white gold stud earrings, pair"),
    ("PD-HALO-2207", "18k white gold halo pendant"),
    ("BR-TEN-0930", "Sterling silver tennis bracelet, rhodium plated"),
    ("CH-CUB-0215", "Gold vermeil cuban chain"),
)


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


def _reading(item: MeasurementItem, rng: random.Random, bad: bool) -> float:
    """A realistic reading: near nominal when good, past a limit by 10-60 % of the band when bad."""
    lo, hi = item.lower, item.upper
    centre = (
        item.nominal
        if item.nominal is not None
        else (
            (lo + hi) / 2 if lo is not None and hi is not None else (lo if lo is not None else hi)
        )
    )
    assert centre is not None  # a measurement has at least one limit
    span = (
        (hi - lo) if lo is not None and hi is not None and hi > lo else max(abs(centre) * 0.1, 1.0)
    )
    over = span * rng.uniform(0.1, 0.6)
    if bad:
        value = hi + over if hi is not None and (lo is None or rng.random() < 0.5) else lo - over  # type: ignore[operator]
    elif lo is not None and hi is not None:
        value = min(max(rng.gauss(centre, span / 8), lo), hi)
    elif lo is not None:
        value = lo + abs(rng.gauss(span / 4, span / 8))
    else:
        value = hi - abs(rng.gauss(span / 4, span / 8))  # type: ignore[operator]
    return round(float(value), item.decimals)


def passing_answer(item: ChecklistItem, pos: int | None) -> Answer:
    """The plainest passing answer: readings in the middle of the tolerance, the first
    acceptable choice. For scripted inspections (tests, benchmarks, fault harnesses).
    An item whose limits the SKU's specification does not give can only be N/A."""
    if isinstance(item, MeasurementItem) and item.unresolved:
        return Answer(item.id, pos, Outcome.NA)
    if isinstance(item, MeasurementItem):
        lo = item.lower if item.lower is not None else (item.upper or 0) - 1
        hi = item.upper if item.upper is not None else lo + 1
        return Answer(item.id, pos, readings=((lo + hi) / 2,) * item.readings)
    if isinstance(item, ChoiceItem):
        return Answer(item.id, pos, value=item.acceptable[0])
    if isinstance(item, TextItem):
        return Answer(item.id, pos, value=item.example or "L-1")  # a HUID needs its form
    return Answer(item.id, pos, Outcome.PASS)


def _picked(item: ChecklistItem, sku: str, rng: random.Random) -> Answer | None:
    """The demo's answer to an item others depend on: the SKU's finish, a market."""
    if item.id == "finish-type" and isinstance(item, ChoiceItem):
        finish = DEMO_FINISH.get(sku)
        return Answer(item.id, None, value=finish) if finish in item.options else None
    if item.id == "plating-mark" and isinstance(item, ChoiceItem):
        finish = DEMO_FINISH.get(sku, "")
        marked = "vermeil" in finish or "electroplate" in finish
        mark = "mark matches the plating" if marked else "no plating mark, none required"
        return Answer(item.id, None, value=mark) if mark in item.options else None
    if item.id == "destination-market" and isinstance(item, ChoiceItem):
        return Answer(
            item.id, None, value=rng.choice([m for m in DEMO_MARKETS if m in item.options])
        )
    return None


def _claim(
    item: ChecklistItem, pos: int | None, rng: random.Random, market: str | None = None
) -> Answer:
    """A plausible statement about a finished piece, for the items a certificate prints."""
    if item.claim == "gross_weight":
        return Answer(item.id, pos, readings=(round(rng.uniform(1.2, 9.8), 2),))
    if item.claim == "stone_count":
        return Answer(item.id, pos, readings=(float(rng.choice([0, 1, 1, 3, 5, 12])),))
    if item.claim == "stone_carat" and isinstance(item, MeasurementItem):
        if item.unresolved:  # no stones in the SKU's specification
            return Answer(item.id, pos, Outcome.NA)
        if item.from_spec:  # judged against the specification: near its stone weight
            return Answer(item.id, pos, readings=(_reading(item, rng, False),))
        return Answer(item.id, pos, readings=(round(rng.uniform(0.1, 1.5), 2),))
    if item.claim == "huid":
        huid = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6))
        return Answer(item.id, pos, value=huid)
    if item.claim == "hallmark":
        stamp = {
            "United Kingdom": "AB 750 anchor",
            "India (BIS)": "BIS 18K750",
            "United States": "18K ACME",
        }
        return Answer(item.id, pos, value=stamp.get(market or "", "750"))
    if item.claim == "ring_size":
        return Answer(item.id, pos, value=rng.choice(["EU 52", "EU 54", "EU 56", "US 7"]))
    if isinstance(item, ChoiceItem):  # metal and fineness: gold, as the demo's SKUs are
        golds = [o for o in item.acceptable if "gold" in o or o in ("585 (14k)", "750 (18k)")]
        return Answer(item.id, pos, value=rng.choice(golds or list(item.acceptable)))
    return passing_answer(item, pos)


def _answer(
    item: ChecklistItem, pos: int | None, rng: random.Random, bad: bool, applies: bool = False
) -> Answer:
    """``applies``: the item is one the piece's finish or market calls for, never N/A."""
    if item.allow_na and not bad and rng.random() < 0.15 and not applies:
        return Answer(item.id, pos, Outcome.NA)
    if isinstance(item, MeasurementItem) and item.unresolved:
        return Answer(item.id, pos, Outcome.NA)  # not in the SKU's specification
    if isinstance(item, MeasurementItem):
        readings = tuple(_reading(item, rng, bad) for _ in range(item.readings))
        return Answer(item.id, pos, readings=readings)
    if isinstance(item, ChoiceItem):
        wrong = [o for o in item.options if o not in item.acceptable]
        pick = rng.choice(wrong) if bad and wrong else rng.choice(item.acceptable)
        return Answer(item.id, pos, value=pick)
    if isinstance(item, TextItem):
        if item.pattern is not None:  # a value of the form it asks for (a HUID)
            return Answer(item.id, pos, value=item.example)
        return Answer(item.id, pos, value=f"LOT-{rng.randint(2026000, 2026999)}")
    # pass/fail and photo items
    return Answer(item.id, pos, Outcome.FAIL if bad else Outcome.PASS)


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
        picked = _picked(item, sku, claims)
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
                    station, inspector, ins.id, _claim(item, pos, claims, market)
                )
            continue
        answer = _answer(item, pos, rng, bad, item.id in applies)
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
    _demo_materials(station, users["sam"])
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


# What each demo SKU is made of, for the dashboard's Pareto by material.
DEMO_MATERIALS = {
    "RG-SOL-0412": "18k yellow gold",
    "RG-ETR-0733": "platinum 950",
    "ER-STD-1108": "14k white gold",
    "PD-HALO-2207": "18k white gold",
    "BR-TEN-0930": "sterling silver",
    "CH-CUB-0215": "gold vermeil",
}


def _spec(sku: str, product_type: str, **fields: object) -> Specification:
    return Specification.model_validate(
        {"sku": sku, "product_type": product_type, "description": dict(SKUS)[sku], **fields}
    )


# What each demo SKU must be: the weight, size, length and stone checks are judged by these.
DEMO_SPECS = (
    _spec(
        "RG-SOL-0412",
        "ring",
        metal="yellow gold",
        fineness=750,
        weight_g=4.2,
        weight_tol_minus_g=0.1,
        weight_tol_plus_g=0.15,
        ring_size_mm=54.0,
        stone_count=1,
        stone_size_mm=5.2,
        stone_carat=0.5,
        market="UK",
    ),
    _spec(
        "RG-ETR-0733",
        "ring",
        metal="platinum",
        fineness=950,
        weight_g=5.8,
        weight_tol_minus_g=0.15,
        weight_tol_plus_g=0.15,
        ring_size_mm=52.0,
        stone_count=21,
        stone_size_mm=1.1,
        stone_carat=1.05,
        stone_carat_tol_ct=0.03,
        market="US",
    ),
    _spec(
        "ER-STD-1108",
        "earring",
        metal="white gold",
        fineness=585,
        weight_g=1.85,
        weight_tol_minus_g=0.05,
        weight_tol_plus_g=0.08,
        weight_resolution_g=0.001,
        length_mm=6.5,
        plating_finish="rhodium",
        plating_min_um=0.1,
        market="EU",
    ),
    _spec(
        "PD-HALO-2207",
        "pendant",
        metal="white gold",
        fineness=750,
        weight_g=2.6,
        weight_tol_minus_g=0.08,
        weight_tol_plus_g=0.08,
        length_mm=18.0,
        stone_count=13,
        stone_size_mm=1.3,
        stone_carat=0.42,
        plating_finish="rhodium",
        plating_min_um=0.1,
        market="IN",
    ),
    _spec(
        "BR-TEN-0930",
        "bracelet",
        metal="sterling silver",
        fineness=925,
        weight_g=14.5,
        weight_tol_minus_g=0.3,
        weight_tol_plus_g=0.4,
        length_mm=180.0,
        stone_count=40,
        stone_size_mm=2.5,
        stone_carat=4.0,
        stone_carat_tol_ct=0.05,
        plating_finish="rhodium",
        plating_min_um=0.1,
        market="US",
    ),
    _spec(
        "CH-CUB-0215",
        "necklace",
        metal="sterling silver",
        fineness=925,
        weight_g=22.0,
        weight_tol_minus_g=0.5,
        weight_tol_plus_g=0.8,
        length_mm=500.0,
        plating_finish="gold vermeil",
        plating_min_um=2.5,
        market="UK",
    ),
)


def _demo_materials(station: Station, supervisor: User) -> None:
    descriptions = dict(SKUS)
    for sku, material in DEMO_MATERIALS.items():
        skus.set_sku(station, supervisor, sku, material, descriptions.get(sku))
    specs.import_specs(station, supervisor, DEMO_SPECS, "demo specifications")


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
