"""Lot inspection: plans per class, the recorded sample, verdicts and persisted switching."""

from __future__ import annotations

import pytest

from qcstation.domain import sampling
from qcstation.domain.defects import Severity
from qcstation.domain.lots import LotVerdict, Stream, StreamKind
from qcstation.domain.stages import Stage
from qcstation.domain.users import User
from qcstation.services import audit, lot_streams, lots
from qcstation.services.context import Station
from qcstation.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied

AQLS = {"critical": "0.065", "major": "1.0", "minor": "4.0"}


def _lot(station: Station, user: User, size: int = 1000, **kw: object) -> lots.LotInfo:
    args: dict[str, object] = {
        "stage": Stage.RECEIVING,
        "job_ticket": "PO-77",
        "sku": "FIND-CLASP-05",
        "supplier": "Aurum Findings",
        "lot_size": size,
        "aqls": AQLS,
    }
    args.update(kw)
    return lots.plan_lot(station, user, **args)  # type: ignore[arg-type]


def test_a_lot_gets_one_plan_per_class_and_a_recorded_sample(
    station: Station, inspector: User
) -> None:
    lot = _lot(station, inspector, seed=42)
    by = {p.severity: p for p in lot.plans}
    # lot 1000, level II -> J; 0.065 -> arrow to n=200 0/1; 1.0 -> 80 2/3; 4.0 -> 80 7/8
    assert by[Severity.CRITICAL].code_letter == "J"
    assert (by[Severity.CRITICAL].sample_size, by[Severity.CRITICAL].accept) == (200, 0)
    assert by[Severity.CRITICAL].plan_letter == "L"
    assert (by[Severity.MAJOR].sample_size, by[Severity.MAJOR].accept) == (80, 2)
    assert (by[Severity.MINOR].accept, by[Severity.MINOR].reject) == (7, 8)
    assert lot.sample_size == 200 and len(set(lot.sample)) == 200
    assert all(1 <= n <= 1000 for n in lot.sample)
    # the major class inspects the first 80 drawn pieces: a subset of the critical sample
    assert set(by[Severity.MAJOR].pieces) <= set(by[Severity.CRITICAL].pieces)
    assert list(by[Severity.MAJOR].pieces) == sorted(lot.sample[:80])
    # reproducible: the recorded seed draws the same pieces again
    again = _lot(station, inspector, seed=42)
    assert again.sample == lot.sample
    assert lots.get(station, lot.id).sample == lot.sample
    assert lot.status == "planned" and lot.verdict is None


def test_hundred_percent_when_the_sample_reaches_the_lot(station: Station, inspector: User) -> None:
    lot = _lot(station, inspector, size=10, aqls={"major": "0.65"})
    assert lot.hundred_percent and lot.sample == tuple(range(1, 11))
    assert lot.plans[0].hundred_percent and lot.plans[0].sample_size == 10


def test_verdict_needs_every_class_accepted(station: Station, inspector: User) -> None:
    lot = _lot(station, inspector)
    ok = lots.record_result(station, inspector, lot.id, {"critical": 0, "major": 2, "minor": 7})
    assert ok.verdict is LotVerdict.ACCEPTED and ok.status == "decided"
    assert all(p.accepted for p in ok.plans)
    bad = _lot(station, inspector)
    out = lots.record_result(station, inspector, bad.id, {"critical": 1, "major": 0, "minor": 0})
    assert out.verdict is LotVerdict.REJECTED
    assert [p.accepted for p in out.plans] == [False, True, True]
    with pytest.raises(Conflict, match="verdict already"):
        lots.record_result(station, inspector, bad.id, {"critical": 0, "major": 0, "minor": 0})


def test_switching_state_is_persisted_per_supplier_and_class(
    station: Station, inspector: User
) -> None:
    # two rejected majors in a row: normal -> tightened for major only
    for _ in range(2):
        lot = _lot(station, inspector)
        lots.record_result(station, inspector, lot.id, {"critical": 0, "major": 3, "minor": 0})
    states = {s.severity: s for s in lot_streams.stream_states(station, key="Aurum Findings")}
    assert states[Severity.MAJOR].mode is sampling.InspectionMode.TIGHTENED
    assert states[Severity.MINOR].mode is sampling.InspectionMode.NORMAL
    assert states[Severity.MINOR].switching_score == 6  # Ac 7: 0 is within Ac 5 at 2.5 -> +3
    assert states[Severity.CRITICAL].switching_score == 4  # Ac 0: +2 per accepted lot
    # the next lot plans major on Table II-B: J tightened 1.0 -> n 80, Ac 1
    nxt = _lot(station, inspector)
    major = next(p for p in nxt.plans if p.severity is Severity.MAJOR)
    assert major.mode is sampling.InspectionMode.TIGHTENED
    assert (major.sample_size, major.accept, major.reject) == (80, 1, 2)
    # a different supplier is a different stream
    other = _lot(station, inspector, supplier="Other Co")
    assert all(p.mode is sampling.InspectionMode.NORMAL for p in other.plans)


def test_switching_score_counts_up_on_normal(station: Station, inspector: User) -> None:
    for _ in range(3):
        lot = _lot(station, inspector, aqls={"minor": "4.0"})
        lots.record_result(station, inspector, lot.id, {"minor": 5})
    (st,) = lot_streams.stream_states(station, key="Aurum Findings")
    # J/80 at 4.0 is Ac 7; one step tighter (2.5) Ac 5: 5 nonconforming passes there -> +3
    assert st.switching_score == 9 and st.lots == 3 and st.recent_results == "AAA"


def test_reduced_needs_a_supervisor_approval(
    station: Station, inspector: User, supervisor: User
) -> None:
    for _ in range(10):
        lot = _lot(station, inspector, aqls={"minor": "4.0"})
        lots.record_result(station, inspector, lot.id, {"minor": 0})
    (st,) = lot_streams.stream_states(station)
    assert st.switching_score == 30 and st.mode is sampling.InspectionMode.NORMAL
    lot = _lot(station, inspector, aqls={"minor": "4.0"})
    with pytest.raises(PermissionDenied, match="supervisor"):
        lots.record_result(station, inspector, lot.id, {"minor": 0}, approve_reduced=True)
    lots.record_result(station, supervisor, lot.id, {"minor": 0}, approve_reduced=True)
    (st,) = lot_streams.stream_states(station)
    assert st.mode is sampling.InspectionMode.REDUCED


def test_production_lots_switch_per_sku_and_stage(station: Station, inspector: User) -> None:
    lot = _lot(station, inspector, stage=Stage.CASTING, supplier="", sku="RG-1")
    assert lot.stream == Stream(StreamKind.PRODUCTION, "RG-1", Stage.CASTING)
    lots.record_result(station, inspector, lot.id, {"critical": 0, "major": 0, "minor": 0})
    (first, *_) = lot_streams.stream_states(station, key="RG-1")
    assert first.stage is Stage.CASTING and first.kind is StreamKind.PRODUCTION


def test_a_lot_planned_before_a_switch_must_be_planned_again(
    station: Station, inspector: User
) -> None:
    waiting = _lot(station, inspector, aqls={"major": "1.0"})
    for _ in range(2):
        lot = _lot(station, inspector, aqls={"major": "1.0"})
        lots.record_result(station, inspector, lot.id, {"major": 5})
    with pytest.raises(Conflict, match="plan the lot again"):
        lots.record_result(station, inspector, waiting.id, {"major": 0})
    assert lots.get(station, waiting.id).status == "planned"


def test_discontinued_stream_refuses_lots_until_resumed(
    station: Station, inspector: User, supervisor: User
) -> None:
    for _ in range(7):  # 2 to reach tightened, then 5 rejected on tightened
        lot = _lot(station, inspector, aqls={"major": "1.0"})
        lots.record_result(station, inspector, lot.id, {"major": 9})
    with pytest.raises(Conflict, match="discontinued"):
        _lot(station, inspector, aqls={"major": "1.0"})
    stream = Stream(StreamKind.SUPPLIER, "Aurum Findings", Stage.RECEIVING)
    with pytest.raises(PermissionDenied):
        lot_streams.resume(station, inspector, stream, Severity.MAJOR, "8D closed")
    st = lot_streams.resume(station, supervisor, stream, Severity.MAJOR, "8D-12 closed, verified")
    assert st.mode is sampling.InspectionMode.TIGHTENED and not st.discontinued
    assert _lot(station, inspector, aqls={"major": "1.0"}).plans[0].mode.value == "tightened"


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"lot_size": 1}, "valid lot sizes: 2 and over"),
        ({"aqls": {"major": "3.0"}}, "valid AQLs: 0.010"),
        ({"aqls": {"huge": "1.0"}}, "valid classes: critical, major, minor"),
        ({"aqls": {"major": ""}}, "at least one severity class"),
        ({"level": "IV"}, "valid levels: I, II, III, S-1"),
        ({"supplier": " "}, "needs its supplier"),
        ({"job_ticket": ""}, "job ticket and a SKU"),
    ],
)
def test_bad_lot_input_is_refused_and_nothing_is_stored(
    station: Station, inspector: User, kw: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        _lot(station, inspector, **kw)
    assert lots.find(station) == []


def test_bad_counts_are_refused_and_the_lot_stays_open(station: Station, inspector: User) -> None:
    lot = _lot(station, inspector)
    for counts, message in (
        ({"critical": 0, "major": 0}, "count the nonconforming items for: minor"),
        ({"critical": 0, "major": -1, "minor": 0}, "whole number 0 or more"),
        ({"critical": 0, "major": 0, "minor": 0, "fatal": 1}, "unknown severity class"),
    ):
        with pytest.raises(InvalidInput, match=message):
            lots.record_result(station, inspector, lot.id, counts)
    assert lots.get(station, lot.id).status == "planned"
    assert lot_streams.stream_states(station) == []


def test_lots_and_switching_changes_are_audited(station: Station, inspector: User) -> None:
    lot = _lot(station, inspector)
    lots.record_result(station, inspector, lot.id, {"critical": 0, "major": 0, "minor": 0})
    report = audit.verify(station)
    assert report.ok, report
    found = lots.find(station, supplier="Aurum Findings")
    assert [x.id for x in found] == [lot.id]


@pytest.mark.parametrize(
    ("major_counts", "minor_counts", "visits"),
    [
        ([0, 0, 0, 1, 2, 4], [0, 1, 3, 9], "tightened"),  # a slipping supplier: stops
        ([0] * 19 + [3], [0] * 8 + [2, 12], "reduced"),  # a good one reaches reduced
    ],
)
def test_persisted_switching_follows_the_domain_state_machine(
    station: Station,
    inspector: User,
    supervisor: User,
    major_counts: list[int],
    minor_counts: list[int],
    visits: str,
) -> None:
    """A seeded run of lots through the services is, lot by lot, the fold of record_lot."""
    import random

    rng = random.Random(7)
    seen: set[str] = set()
    expected = {"major": sampling.SwitchingState(), "minor": sampling.SwitchingState()}
    aqls = {"major": "1.0", "minor": "4.0"}
    for i in range(40):
        if any(st.discontinued for st in expected.values()):
            break
        lot = _lot(station, inspector, size=rng.choice([40, 300, 1000]), aqls=aqls)
        counts = {"major": rng.choice(major_counts), "minor": rng.choice(minor_counts)}
        approve = i % 3 == 0
        lots.record_result(station, supervisor, lot.id, counts, approve_reduced=approve)
        for p in lot.plans:
            sev = p.severity.value
            plan = sampling.plan(lot.lot_size, aqls[sev], "II", expected[sev].mode)
            assert (p.sample_size, p.accept, p.reject) == (
                plan.sample_size,
                plan.accept,
                plan.reject,
            )
            expected[sev] = sampling.record_lot(
                expected[sev], plan, counts[sev], authority_approves_reduced=approve
            )
            seen.add(expected[sev].mode.value)
        stored = {s.severity.value: s for s in lot_streams.stream_states(station)}
        for sev, st in expected.items():
            got = stored[sev]
            assert (got.mode, got.switching_score, got.consecutive_accepted) == (
                st.mode,
                st.switching_score,
                st.consecutive_accepted,
            ), (i, sev)
            assert got.recent_results == "".join("A" if ok else "R" for ok in st.recent_results)
            assert (got.rejected_while_tightened, got.discontinued) == (
                st.rejected_while_tightened,
                st.discontinued,
            )
    assert visits in seen and len(lots.find(station)) >= 10  # the run went somewhere


STREAM = Stream(StreamKind.SUPPLIER, "Aurum Findings", Stage.RECEIVING)


def _state(station: Station, severity: Severity = Severity.MAJOR) -> lot_streams.StreamState:
    (st,) = [
        x for x in lot_streams.stream_states(station, key=STREAM.key) if x.severity is severity
    ]
    return st


def test_a_resubmitted_lot_is_inspected_on_tightened_and_not_counted(
    station: Station, inspector: User
) -> None:
    rejected = _lot(station, inspector, aqls={"major": "1.0"})
    rejected = lots.record_result(station, inspector, rejected.id, {"major": 3})
    assert rejected.verdict is LotVerdict.REJECTED and rejected.can_resubmit
    before = _state(station)
    assert (before.mode.value, before.recent_results, before.lots) == ("normal", "R", 1)

    again = lots.resubmit(station, inspector, rejected.id, lot_size=990, seed=7)
    assert again.resubmission_of == rejected.id and not again.original
    assert (again.job_ticket, again.stream, again.lot_size) == ("PO-77", STREAM, 990)
    (p,) = again.plans
    # J, AQL 1.0 on tightened: n 80, 1/2 (normal would be 2/3)
    assert (p.mode.value, p.sample_size, p.accept, p.reject) == ("tightened", 80, 1, 2)
    assert lots.get(station, rejected.id).resubmitted_as == again.id
    assert not lots.get(station, rejected.id).can_resubmit

    # rejected again: an original lot would have tightened the stream (2 of 2); this one
    # leaves the switching state exactly as it was
    decided = lots.record_result(station, inspector, again.id, {"major": 2})
    assert decided.verdict is LotVerdict.REJECTED
    assert _state(station) == before
    # the next original lot is still planned on normal inspection
    assert _lot(station, inspector, aqls={"major": "1.0"}).plans[0].mode.value == "normal"
    # a rejected resubmission may itself be resubmitted; an accepted lot may not
    third = lots.resubmit(station, inspector, again.id, seed=1)
    assert lots.record_result(station, inspector, third.id, {"major": 0}).verdict is (
        LotVerdict.ACCEPTED
    )
    assert _state(station) == before
    history = lot_streams.stream_history(station, STREAM)
    assert [e.kind for e in history] == ["lot", "resubmitted lot", "resubmitted lot"]
    assert "not counted in switching" in history[1].text and history[1].actor == "ines"


def test_resubmission_rules(station: Station, inspector: User, supervisor: User) -> None:
    accepted = _lot(station, inspector, aqls={"major": "1.0"})
    with pytest.raises(Conflict, match="no verdict yet"):
        lots.resubmit(station, inspector, accepted.id)
    lots.record_result(station, inspector, accepted.id, {"major": 0})
    with pytest.raises(Conflict, match="only a rejected lot"):
        lots.resubmit(station, inspector, accepted.id)
    rejected = _lot(station, inspector, aqls={"major": "1.0"})
    lots.record_result(station, inspector, rejected.id, {"major": 5})
    with pytest.raises(PermissionDenied, match="only a supervisor"):
        lots.resubmit(station, inspector, rejected.id, mode="normal")
    with pytest.raises(InvalidInput, match="not reduced"):
        lots.resubmit(station, supervisor, rejected.id, mode="reduced")
    with pytest.raises(InvalidInput, match="from 2 to 1000"):
        lots.resubmit(station, inspector, rejected.id, lot_size=1001)
    with pytest.raises(NotFound):
        lots.resubmit(station, inspector, "no-such-lot")
    # the responsible authority decides on normal inspection
    normal = lots.resubmit(station, supervisor, rejected.id, mode="normal")
    assert normal.plans[0].mode.value == "normal" and normal.plans[0].accept == 2
    with pytest.raises(Conflict, match="resubmitted already"):
        lots.resubmit(station, inspector, rejected.id)
    assert len(lots.find(station)) == 3


def test_supervisor_starts_a_stream_on_tightened(
    station: Station, inspector: User, supervisor: User
) -> None:
    with pytest.raises(PermissionDenied):
        lot_streams.start_tightened(station, inspector, STREAM, Severity.MAJOR, "new supplier")
    with pytest.raises(InvalidInput, match="say why"):
        lot_streams.start_tightened(station, supervisor, STREAM, Severity.MAJOR, " ")
    assert lot_streams.stream_states(station) == []  # nothing stored by the refusals
    st = lot_streams.start_tightened(station, supervisor, STREAM, Severity.MAJOR, "new supplier")
    assert st.mode.value == "tightened" and st.lots == 0
    with pytest.raises(Conflict, match="tightened inspection already"):
        lot_streams.start_tightened(station, supervisor, STREAM, Severity.MAJOR, "again")
    # respected by the plans and the switching rules: 5 accepted return it to normal
    for _ in range(5):
        lot = _lot(station, inspector, aqls={"major": "1.0"})
        assert lot.plans[0].mode.value == "tightened"
        lots.record_result(station, inspector, lot.id, {"major": 0})
    assert _state(station).mode.value == "normal"
    (decision,) = [e for e in lot_streams.stream_history(station, STREAM) if e.kind == "decision"]
    assert decision.actor == "sam" and decision.severity is Severity.MAJOR
    assert decision.text == "start on tightened inspection: new supplier"
    assert decision.mode is sampling.InspectionMode.TIGHTENED
    assert audit.verify(station).ok


def test_supervisor_reinstates_normal(station: Station, inspector: User, supervisor: User) -> None:
    for _ in range(2):  # normal -> tightened
        lot = _lot(station, inspector, aqls={"major": "1.0"})
        lots.record_result(station, inspector, lot.id, {"major": 9})
    with pytest.raises(Conflict, match="0 so far, 5 more needed"):
        lot_streams.reinstate_normal(station, supervisor, STREAM, Severity.MAJOR, "looks fine")
    with pytest.raises(PermissionDenied):
        lot_streams.reinstate_normal(station, inspector, STREAM, Severity.MAJOR, "looks fine")
    for _ in range(5):  # 5 rejected on tightened: discontinued
        lot = _lot(station, inspector, aqls={"major": "1.0"})
        lots.record_result(station, inspector, lot.id, {"major": 9})
    assert _state(station).discontinued
    # clause 9.4: a discontinued stream resumes on tightened, never straight on normal
    with pytest.raises(Conflict, match=r"resumes on tightened .*clause 9\.4"):
        lot_streams.reinstate_normal(station, supervisor, STREAM, Severity.MAJOR, "8D-12 closed")
    assert _state(station).discontinued
    lot_streams.resume(station, supervisor, STREAM, Severity.MAJOR, "8D-12 closed")
    assert _state(station).mode.value == "tightened"

    # from reduced (9.3.4 d, "other conditions warrant"): a supervisor's decision
    for _ in range(10):
        lot = _lot(station, inspector, aqls={"minor": "4.0"})
        lots.record_result(station, inspector, lot.id, {"minor": 0})
    lot = _lot(station, inspector, aqls={"minor": "4.0"})
    lots.record_result(station, supervisor, lot.id, {"minor": 0}, approve_reduced=True)
    assert _state(station, Severity.MINOR).mode is sampling.InspectionMode.REDUCED
    with pytest.raises(PermissionDenied):
        lot_streams.reinstate_normal(station, inspector, STREAM, Severity.MINOR, "new alloy")
    st = lot_streams.reinstate_normal(station, supervisor, STREAM, Severity.MINOR, "new alloy")
    assert st.mode.value == "normal" and not st.discontinued and st.recent_results == ""
    # respected afterwards: planned on normal
    lot = _lot(station, inspector, aqls={"minor": "4.0"})
    assert {p.severity: p.mode.value for p in lot.plans}[Severity.MINOR] == "normal"
    with pytest.raises(Conflict, match="normal inspection already"):
        lot_streams.reinstate_normal(station, supervisor, STREAM, Severity.MINOR, "again")
    decisions = [e for e in lot_streams.stream_history(station, STREAM) if e.kind == "decision"]
    assert [(e.text, e.mode) for e in decisions][-1] == (
        "reinstate normal inspection: new alloy",
        sampling.InspectionMode.NORMAL,
    )
    assert audit.verify(station).ok
