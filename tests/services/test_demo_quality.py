"""The demo shows dispositions, a rework chain and corrective actions at every stage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qcstation import app, config
from qcstation.domain.corrective import CapaStatus
from qcstation.domain.defects import Disposition
from qcstation.domain.inspections import Verdict
from qcstation.services import audit, demo, nonconformance
from qcstation.services import corrective_actions as capa
from qcstation.services.context import connect


def test_demo_has_open_and_decided_items_a_chain_and_actions(tmp_path: Path) -> None:
    station = connect(config.resolve(tmp_path / "demo"))
    try:
        demo.fill(station, count=24)
        assert nonconformance.open_items(station)
        decided = nonconformance.recent_decisions(station)
        kinds = {d.disposition for d in decided}
        assert Disposition.REWORK in kinds and Disposition.SCRAP in kinds
        rework = next(d for d in decided if d.disposition is Disposition.REWORK)
        chain = nonconformance.chain(station, rework.inspection_id)
        assert len(chain.steps) == 2 and chain.final.verdict is Verdict.PASS
        actions = capa.list_actions(station)
        today = station.now().date()
        assert [a.status for a in actions] == [
            CapaStatus.IN_PROGRESS,
            CapaStatus.AWAITING_VERIFICATION,
            CapaStatus.CLOSED,
        ]
        assert actions[0].overdue(today) and actions[-1].evidence_files
        assert audit.verify(station).ok
    finally:
        station.close()


def test_the_demo_window_fills_its_station_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The window's demo (app.open_demo): filled on first use, as it was on the next."""
    loc = config.resolve(tmp_path / "demo")
    station = connect(loc)
    try:
        first = demo.fill_if_empty(station, count=6)
        # 6 inspections, and the re-inspection of a piece sent back for rework if the
        # dice decided one
        assert first.inspections in (6, 7) and sum(first.by_stage.values()) == first.inspections
        again = demo.fill_if_empty(station, count=6)
        assert again == first  # nothing added the second time
    finally:
        station.close()
    lines = first.lines(loc.data_dir)
    assert lines[0] == f"Demo data in {loc.data_dir}"
    assert lines[1] == (
        f"  {first.inspections} inspections ({first.unfinished} in progress), "
        f"{first.defects} defects"
    )
    assert lines[4] == "Demo logins (user / password / role):"
    assert [line.split()[0] for line in lines[5:]] == [u for u, _, _ in first.users]
    app.open_demo(loc).close()  # what the window runs: prints the same summary
    assert capsys.readouterr().out.splitlines() == lines


def test_any_number_of_demo_inspections_has_a_pause_between_them() -> None:
    """From 1,940 inspections on, the longest pause fell below the shortest and the dice
    had an empty range. Below that, the pauses are what they were (the same demo)."""
    for count in [*range(0, 5000), 10**5, 10**6]:
        longest = demo.max_gap_minutes(count)
        assert longest >= demo.MIN_GAP_MINUTES
        if count < 1940:
            assert longest == 8 * 60 // max(1, count // 20 or 1)


class Enough(Exception):
    pass


def test_a_demo_of_1940_inspections_goes_on_past_the_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real fill loop at the count that failed (after its first inspection): three
    inspections run, then the test stops it (the whole demo takes minutes)."""
    real = demo.run_inspection
    done: list[str] = []

    def counted(*args: Any, **kwargs: Any) -> str:
        if len(done) == 3:
            raise Enough
        done.append(real(*args, **kwargs))
        return done[-1]

    monkeypatch.setattr(demo, "run_inspection", counted)
    station = connect(config.resolve(tmp_path / "demo"))
    try:
        with pytest.raises(Enough):
            demo.fill(station, count=1940)
        assert len(done) == 3 and audit.verify(station).ok
    finally:
        station.close()


def test_demo_plating_reads_the_finish_the_sku_has_and_marks_follow_the_market(
    tmp_path: Path,
) -> None:
    """A vermeil chain was read as gold plate with a vermeil thickness: each SKU now has its
    finish, that finish's thickness is read, the other finishes' are N/A; at final QC the
    marks of the chosen market are checked and the others' are N/A, the HUID only for India."""
    import random

    from qcstation.domain.inspections import Outcome
    from qcstation.domain.stages import Stage
    from qcstation.services import inspections
    from qcstation.services.demo_content import DEMO_FINISH, ONLY_FOR

    station = connect(config.resolve(tmp_path / "demo"))
    try:
        users = demo.ensure_demo_users(station)
        finishes, markets = set(), set()
        for seed in range(40):
            if {"vermeil (gold on sterling silver)", "rhodium"} <= finishes and len(markets) >= 3:
                break
            for stage in (Stage.PLATING, Stage.FINAL_QC):
                ins_id = demo.run_inspection(station, users["ines"], stage, random.Random(seed))
                ins = inspections.get(station, ins_id)
                chooser = "finish-type" if stage is Stage.PLATING else "destination-market"
                chosen = ins.answers[(chooser, None)].value
                assert chosen is not None
                if stage is Stage.PLATING:
                    assert chosen == DEMO_FINISH[ins.sku]
                    finishes.add(chosen)
                else:
                    markets.add(chosen)
                mine = ONLY_FOR[chooser][chosen]
                others = frozenset().union(*ONLY_FOR[chooser].values()) - mine
                for item_id in others:
                    assert ins.answers[(item_id, None)].outcome is Outcome.NA, item_id
                for item_id in mine:
                    answer = ins.answers[(item_id, None)]
                    assert answer.outcome is not Outcome.NA, (chosen, item_id)
                    if item_id == "vermeil-thickness":
                        assert answer.readings
                if stage is Stage.FINAL_QC:
                    huid = ins.answers[("huid", None)]
                    assert (huid.outcome is Outcome.NA) == (chosen != "India (BIS)")
        assert "vermeil (gold on sterling silver)" in finishes and "rhodium" in finishes
    finally:
        station.close()
