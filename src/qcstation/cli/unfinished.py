"""`inspections unfinished | resume | take-over | park | abandon`: unfinished inspections and
who holds them, the same calls the start page makes (services/holds.py)."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from qcstation.cli._shared import OK, _jsonable, _location, _login, _out, _table, _user_opt
from qcstation.domain.holds import Hold
from qcstation.services import holds
from qcstation.services.context import Station, open_station


def _with_station(args: argparse.Namespace, work: Any) -> Any:
    station = open_station(_location(args))
    try:
        return work(station)
    finally:
        station.close()


def cmd_unfinished(args: argparse.Namespace) -> int:
    listed, now = _with_station(args, lambda st: (holds.unfinished(st, None), st.now()))
    if args.json:
        out = [{"inspection": asdict(u.summary), "hold": asdict(u.hold)} for u in listed]
        _out(json.dumps(_jsonable(out), indent=2))
        return OK
    _table(
        ("started (UTC)", "stage", "job", "sku", "serial", "inspector", "where", "id"),
        [
            (
                f"{u.summary.started_at:%Y-%m-%d %H:%M}",
                u.summary.stage.label,
                u.summary.job_ticket,
                u.summary.sku,
                u.summary.serial,
                u.summary.inspector,
                u.hold.describe(now),
                u.summary.id,
            )
            for u in listed
        ],
    )
    _out(f"({len(listed)} unfinished)")
    return OK


def _said(hold: Hold, station: Station) -> str:
    return hold.describe(station.now())


def cmd_resume(args: argparse.Namespace) -> int:
    def work(st: Station) -> str:
        ins = holds.resume(st, _login(st, args), args.id)
        return f"{ins.job_ticket} ({ins.id}) is held here now, at station {st.name}"

    _out(_with_station(args, work))
    return OK


def cmd_take_over(args: argparse.Namespace) -> int:
    def work(st: Station) -> str:
        ins = holds.take_over(st, _login(st, args), args.id, args.reason)
        hold = holds.hold_of(st, ins.id)
        taken = f" from station {hold.taken_from_station}" if hold.taken_from_station else ""
        return f"{ins.job_ticket} ({ins.id}) taken over{taken}: {_said(hold, st)}"

    _out(_with_station(args, work))
    return OK


def cmd_park(args: argparse.Namespace) -> int:
    def work(st: Station) -> str:
        hold = holds.park(st, _login(st, args), args.id, args.reason or "")
        return f"{args.id} {_said(hold, st)}; any station can resume it"

    _out(_with_station(args, work))
    return OK


def cmd_abandon(args: argparse.Namespace) -> int:
    def work(st: Station) -> str:
        hold = holds.abandon(st, _login(st, args), args.id, args.reason)
        return f"{args.id} {_said(hold, st)}: it will never be completed"

    _out(_with_station(args, work))
    return OK


def register(add: Any, isub: Any) -> None:
    """Adds to the `inspections` group (cli/station.py makes it)."""
    p = add(
        "unfinished",
        cmd_unfinished,
        "inspections in progress and who holds them (or that they are parked)",
        isub,
    )
    p.add_argument("--json", action="store_true")
    p = add("resume", cmd_resume, "hold a parked inspection at this station", isub)
    p.add_argument("id", help="the inspection's id")
    _user_opt(p)
    p = add(
        "take-over",
        cmd_take_over,
        "take an inspection held at another station to this one (the reason is audited)",
        isub,
    )
    p.add_argument("id", help="the inspection's id")
    p.add_argument("--reason", required=True, help="why it is taken over (kept in the audit)")
    _user_opt(p)
    p = add("park", cmd_park, "put an inspection held here aside; any station resumes it", isub)
    p.add_argument("id", help="the inspection's id")
    p.add_argument("--reason", help="why it waits (shown in the parked list)")
    _user_opt(p)
    p = add(
        "abandon",
        cmd_abandon,
        "give an unfinished inspection up for good (never completed, signed or certified)",
        isub,
    )
    p.add_argument("id", help="the inspection's id")
    p.add_argument("--reason", required=True, help="why it is abandoned (kept with the record)")
    _user_opt(p)
