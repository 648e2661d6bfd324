"""The rules of holding an unfinished inspection, and their words."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from qcstation.domain.holds import Hold, HoldState, check_reason, refusal, when

NOW = datetime(2026, 3, 2, 10, 50, tzinfo=timezone.utc)
SINCE = NOW - timedelta(minutes=8)


def hold(state: HoldState = HoldState.HELD, **kw: object) -> Hold:
    fields: dict = {"station": "A", "user": "ines", "since": SINCE, "reason": ""} | kw
    return Hold("ins-1", state, **fields)  # type: ignore[arg-type]


def test_only_the_holding_station_may_change_it() -> None:
    h = hold()
    assert refusal(h, "A", NOW) is None
    assert h.held_by("A", "ines") and not h.held_by("A", "sam") and h.held_at("A")
    said = refusal(h, "B", NOW)
    assert said is not None and said.startswith("this inspection is held by ines at station A")
    assert "take it over here from the start page (with a reason)" in said


def test_the_station_it_was_taken_from_is_told_who_took_it() -> None:
    h = hold(station="B", reason="scope broke", taken_from_station="A", taken_from_user="ines")
    said = refusal(h, "A", NOW)
    local = SINCE.astimezone()
    assert said == (
        f"this inspection was taken over by ines at station B at {local:%H:%M} (scope broke), "
        "so nothing more is saved here. To carry on here, take it over again from the start "
        "page (with a reason)"
    )
    # a third station is told only where it is
    assert (refusal(h, "C", NOW) or "").startswith("this inspection is held by ines at station B")


def test_parked_and_ended_inspections_change_nowhere() -> None:
    parked = hold(HoldState.PARKED, reason="waiting for the setter")
    for station in ("A", "B"):
        said = refusal(parked, station, NOW) or ""
        assert "parked by ines at station A" in said and "resume it" in said
        assert "(waiting for the setter)" in said
    for state in (HoldState.COMPLETED, HoldState.ABANDONED):
        assert (
            refusal(hold(state), "A", NOW)
            == f"this inspection is {state.value}; it can no longer change"
        )
    assert hold(HoldState.ABANDONED, reason="cracked").describe(NOW).endswith("(cracked)")


def test_times_are_said_as_a_person_reads_them() -> None:
    assert when(SINCE, NOW) == f"at {SINCE.astimezone():%H:%M}"
    earlier = NOW - timedelta(days=3)
    assert (
        when(earlier, NOW) == f"on {earlier.astimezone():%Y-%m-%d} at {earlier.astimezone():%H:%M}"
    )


def test_a_reason_is_three_characters_or_more() -> None:
    assert check_reason("  ok ", "abandon it") is not None
    assert "abandon it" in (check_reason("", "abandon it") or "")
    assert check_reason("cracked", "abandon it") is None
