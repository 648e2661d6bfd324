"""Demo dispositions and corrective actions, on top of the demo inspections.

Made through the same services a supervisor uses: some nonconforming items are decided
(one reworked piece is re-inspected and passes, so history shows a chain), a few are
left open for the Nonconformance page, and three corrective actions stand at different
points of their life, one of them overdue.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

from qcstation.domain.corrective import CapaStatus, RootCauseCategory
from qcstation.domain.defects import Disposition, Severity
from qcstation.domain.inspections import Answer, Outcome, positions_of
from qcstation.domain.nonconformance import Nonconformance
from qcstation.domain.templates import ChoiceItem, MeasurementItem, PhotoItem, TextItem
from qcstation.domain.users import User
from qcstation.imaging.scenes import encode_png, render_piece
from qcstation.services import corrective_actions as capa
from qcstation.services import holds, inspections, nonconformance
from qcstation.services.context import Station
from qcstation.services.corrective_actions import CapaEdit, NewFile
from qcstation.services.demo_content import DEMO_FINISH, not_applicable_after
from qcstation.services.errors import Conflict

# Decided in this order, round and round; every other item stays open for the page.
_PLAN = (
    (Disposition.REWORK, "sam", "rework at the bench, then re-inspect"),
    None,
    (Disposition.SCRAP, "sam", "beyond repair: back to the melt"),
    None,
    (Disposition.USE_AS_IS, "sam", "inside the shank, not visible worn; customer limit allows"),
    None,
)


def fill(station: Station, users: dict[str, User], rng: random.Random) -> None:
    items = nonconformance.open_items(station)
    reinspected = False
    step = 0  # the plan moves on only when an item took its turn
    for item in items:
        plan = _PLAN[step % len(_PLAN)]
        if plan is None:
            step += 1
            continue
        disposition, who, reason = plan
        if disposition is Disposition.USE_AS_IS and item.severity is not Severity.MINOR:
            continue  # only a cosmetic defect is accepted as it is
        if item.subject == "lot" and disposition is not Disposition.USE_AS_IS:
            disposition, reason = Disposition.RETURN_TO_SUPPLIER, "lot below AQL: back to supplier"
        try:
            done = nonconformance.decide(station, users[who], item.defect_id, disposition, reason)
        except Conflict:  # its piece was scrapped for another defect: leave it open
            continue
        step += 1
        if done.rework_inspection_id and not reinspected:
            _pass_all(station, users[item.found_by], done.rework_inspection_id, rng)
            reinspected = True
    if items:
        _actions(station, users, items[0], Counter(i.code for i in items), rng)


def _pass_all(station: Station, user: User, inspection_id: str, rng: random.Random) -> None:
    """The reworked piece, re-inspected: every item good this time."""
    ins = holds.resume(station, user, inspection_id)  # it waited parked for the piece
    not_here: frozenset[str] = frozenset()
    for item in ins.template.items():
        for pos in positions_of(item, ins.position_counts):
            if item.id in not_here and item.allow_na:  # another finish's, another market's
                inspections.record_answer(
                    station, user, inspection_id, Answer(item.id, pos, Outcome.NA)
                )
                continue
            if item.photo_required or isinstance(item, PhotoItem):
                png = encode_png(render_piece(rng.randint(0, 10**6)))
                inspections.attach_evidence(
                    station, user, inspection_id, png, "image/png", item.id, pos
                )
            if isinstance(item, MeasurementItem) and item.unresolved:
                a = Answer(item.id, pos, Outcome.NA)  # not in the SKU's specification
            elif isinstance(item, MeasurementItem):
                lo = item.lower if item.lower is not None else (item.upper or 0) - 1
                hi = item.upper if item.upper is not None else lo + 1
                a = Answer(
                    item.id, pos, readings=(round((lo + hi) / 2, item.decimals),) * item.readings
                )
            elif isinstance(item, ChoiceItem):
                finish = DEMO_FINISH.get(ins.sku) if item.id == "finish-type" else None
                a = Answer(item.id, pos, value=finish or item.acceptable[0])
                not_here = not_here | not_applicable_after(item.id, a.value)
            elif isinstance(item, TextItem):
                a = Answer(
                    item.id, pos, value=item.example or f"LOT-{rng.randint(2026000, 2026999)}"
                )
            else:
                a = Answer(item.id, pos, Outcome.PASS)
            inspections.record_answer(station, user, inspection_id, a)
    inspections.complete(station, user, inspection_id)
    from qcstation.services.demo import sign_demo  # demo runs this module: imported late

    sign_demo(station, inspection_id, user, None)  # signed like every completed demo record


def _actions(
    station: Station,
    users: dict[str, User],
    first: Nonconformance,
    codes: Counter[str],
    rng: random.Random,
) -> None:
    sam, ines = users["sam"], users["ines"]
    today = station.now().date()
    # 1. from a defect, in progress and overdue
    a = capa.open_action(
        station,
        sam,
        f"{first.name} on {first.sku}",
        f"{first.code} at {first.stage.label}, {first.where or 'the piece'}",
        defect_id=first.defect_id,
    )
    assert a.id is not None
    capa.update(
        station,
        sam,
        a.id,
        CapaEdit(
            a.title,
            a.problem,
            containment=f"100 % check of open {first.sku} jobs at {first.stage.label}",
            root_cause_category=RootCauseCategory.PEOPLE,
            why_chain=("not caught at the bench", "new operator", "no work instruction at bench 2"),
            owner="ines",
            due=today - timedelta(days=3),
        ),
    )
    capa.advance(station, sam, a.id, CapaStatus.IN_PROGRESS)
    # 2. from the most frequent code's trend, awaiting verification
    code = codes.most_common(1)[0][0]
    t = capa.open_action(
        station,
        sam,
        f"{code} recurring",
        f"{code}: {codes[code]} open or decided item(s) in the last 30 days",
        trend=(code, today - timedelta(days=30), today),
    )
    assert t.id is not None
    capa.update(
        station,
        sam,
        t.id,
        CapaEdit(
            t.title,
            t.problem,
            containment="extra check at the next stage until closed",
            root_cause_category=RootCauseCategory.METHOD,
            root_cause="process window not written down",
            why_chain=("varies by shift", "set by feel", "no written parameters"),
            corrective="parameters on the traveller, checked at start of shift",
            owner="ines",
            due=today + timedelta(days=10),
            preventive="add the parameters to the process FMEA",
            preventive_owner="sam",
            preventive_due=today + timedelta(days=30),
        ),
    )
    capa.advance(station, sam, t.id, CapaStatus.IN_PROGRESS)
    capa.advance(station, ines, t.id, CapaStatus.AWAITING_VERIFICATION)
    # 3. closed with evidence and a sign-off
    c = capa.open_action(
        station,
        sam,
        "Scratches after tumbling",
        "POL-SCR on chains after the new media",
        trend=("POL-SCR", today - timedelta(days=60), today - timedelta(days=30)),
    )
    assert c.id is not None
    capa.update(
        station,
        sam,
        c.id,
        CapaEdit(
            c.title,
            c.problem,
            containment="hand polish of the affected batch",
            root_cause_category=RootCauseCategory.MATERIAL,
            root_cause="coarse tumbling media from a new supplier",
            why_chain=("scratches", "media too coarse", "supplier changed grade"),
            corrective="back to the fine media; incoming check of media grade",
            owner="sam",
            due=today - timedelta(days=20),
        ),
    )
    capa.advance(station, sam, c.id, CapaStatus.IN_PROGRESS)
    capa.advance(station, sam, c.id, CapaStatus.AWAITING_VERIFICATION)
    photo = encode_png(render_piece(rng.randint(0, 10**6), 320, 240))
    capa.close(
        station,
        sam,
        c.id,
        "no POL-SCR on 120 chains over three weeks",
        [NewFile("after-tumbling.png", photo, "image/png")],
    )
