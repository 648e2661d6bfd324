"""Who holds an unfinished inspection: one station, and one person there, at a time.

An inspection in progress is *held* by the station that started it or last took it, and
the hold names who took it there (that person's sign-in reopens it). It changes only at
that station, by its inspector or a supervisor, as before. Anyone at another station (its
own inspector signed in at a second bench, a supervisor) takes it over explicitly, with a
reason. *Parked*, nobody holds it: it waits in the list of every station until its
inspector or a supervisor resumes it. It ends *completed* or *abandoned* (with a reason;
never signed or certified).

The rules are plain so they read the same in the services, the window and the CLI; the
services lock the inspection while they apply them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from qcstation.domain.summaries import InspectionSummary

MIN_REASON = 3


class HoldState(str, Enum):
    HELD = "held"
    PARKED = "parked"
    COMPLETED = "completed"
    ABANDONED = "abandoned"


@dataclass(frozen=True)
class Hold:
    """Where an inspection stands: who has it, where, since when, and why it changed hands."""

    inspection_id: str
    state: HoldState
    station: str
    user: str
    since: datetime
    reason: str = ""
    taken_from_station: str | None = None
    taken_from_user: str | None = None

    def held_at(self, station: str) -> bool:
        return self.state is HoldState.HELD and self.station == station

    def held_by(self, station: str, user: str) -> bool:
        """Held at this station for this user: their sign-in there reopens it."""
        return self.held_at(station) and self.user == user

    def describe(self, now: datetime) -> str:
        """One line for a list: 'held by ines at station B since 10:42'."""
        at = when(self.since, now)
        if self.state is HoldState.PARKED:
            return f"parked by {self.user} at station {self.station} {at}" + _why(self.reason)
        if self.state is HoldState.HELD:
            return f"held by {self.user} at station {self.station} since {clock(self.since, now)}"
        why = _why(self.reason) if self.state is HoldState.ABANDONED else ""
        return f"{self.state.value} by {self.user} at station {self.station} {at}{why}"


@dataclass(frozen=True)
class Unfinished:
    """An inspection in progress as the start page lists it."""

    summary: InspectionSummary
    hold: Hold
    mine_here: bool  # held by this station for this user: Enter simply continues it


def clock(at: datetime, now: datetime) -> str:
    """'10:42' today, '2026-03-02 10:42' another day (the station's local time)."""
    local, today = at.astimezone(), now.astimezone()
    if local.date() == today.date():
        return f"{local:%H:%M}"
    return f"{local:%Y-%m-%d %H:%M}"


def when(at: datetime, now: datetime) -> str:
    """'at 10:42' today, 'on 2026-03-02 at 10:42' on another day (the station's local time)."""
    local, today = at.astimezone(), now.astimezone()
    if local.date() == today.date():
        return f"at {local:%H:%M}"
    return f"on {local:%Y-%m-%d} at {local:%H:%M}"


def _why(reason: str) -> str:
    return f" ({reason})" if reason else ""


def refusal(hold: Hold, station: str, now: datetime) -> str | None:
    """Why the inspection may not be changed at this station now; None when it holds it."""
    if hold.held_at(station):
        return None
    if hold.state is HoldState.PARKED:
        return (
            f"this inspection was parked by {hold.user} at station {hold.station} "
            f"{when(hold.since, now)}{_why(hold.reason)}: resume it from the start page "
            "to change it"
        )
    if hold.state is not HoldState.HELD:
        return f"this inspection is {hold.state.value}; it can no longer change"
    if hold.taken_from_station == station:
        return (
            f"this inspection was taken over by {hold.user} at station {hold.station} "
            f"{when(hold.since, now)}{_why(hold.reason)}, so nothing more is saved here. "
            "To carry on here, take it over again from the start page (with a reason)"
        )
    return (
        f"this inspection is held by {hold.user} at station {hold.station} since "
        f"{clock(hold.since, now)}: it is changed only there. Park it there, or take it "
        "over here from the start page (with a reason) if nobody works on it there"
    )


def check_reason(reason: str, action: str) -> str | None:
    """Why a reason is not enough to record with an action; None when it is."""
    if len(reason.strip()) < MIN_REASON:
        return f"give the reason to {action} (at least {MIN_REASON} characters; it is kept)"
    return None
