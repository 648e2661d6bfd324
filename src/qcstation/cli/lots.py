"""`lots list` and `sampling state`: lots inspected by ISO 2859-1 and where each stream stands."""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import asdict
from typing import Any

from qcstation.cli._shared import (
    ENV_USER,
    OK,
    UsageError,
    _count,
    _jsonable,
    _location,
    _out,
    _password,
    _table,
    _user_opt,
)
from qcstation.domain.defects import Severity
from qcstation.domain.lots import Stream, StreamKind
from qcstation.domain.stages import Stage
from qcstation.services import accounts, lot_streams, lots
from qcstation.services.context import open_station


def _plans_text(lot: lots.LotInfo) -> str:
    return "; ".join(
        f"{p.severity.value[:3]} {p.aql} {p.mode.value[0].upper()} n={p.sample_size} "
        f"{p.accept}/{p.reject}" + ("" if p.count is None else f" found {p.count}")
        for p in lot.plans
    )


def cmd_lots_list(args: argparse.Namespace) -> int:
    station = open_station(_location(args))
    try:
        rows = lots.find(
            station,
            sku=args.sku,
            supplier=args.supplier,
            stage=Stage(args.stage) if args.stage else None,
            limit=args.limit,
        )
    finally:
        station.close()
    if args.json:
        _out(json.dumps([_jsonable(asdict(r)) for r in rows], indent=2))
        return OK
    _table(
        ("created (UTC)", "stream", "job", "lot", "sample", "plans (Ac/Re)", "verdict", "id"),
        [
            (
                f"{r.created_at:%Y-%m-%d %H:%M}",
                r.stream.label(),
                r.job_ticket + ("" if r.original else " (resubmitted)"),
                r.lot_size,
                r.sample_size,
                _plans_text(r),
                r.verdict.value if r.verdict else r.status,
                r.id,
            )
            for r in rows
        ],
    )
    _out(f"({len(rows)} shown)")
    return OK


def cmd_sampling_state(args: argparse.Namespace) -> int:
    station = open_station(_location(args))
    try:
        rows = lot_streams.stream_states(
            station, key=args.key, stage=Stage(args.stage) if args.stage else None
        )
    finally:
        station.close()
    if args.json:
        _out(json.dumps([_jsonable(asdict(r)) for r in rows], indent=2))
        return OK
    _table(
        ("stream", "class", "inspection", "score", "accepted in a row", "recent", "lots"),
        [
            (
                r.label,
                r.severity.value,
                "DISCONTINUED" if r.discontinued else r.mode.value,
                r.switching_score,
                r.consecutive_accepted,
                r.recent_results or "-",
                r.lots,
            )
            for r in rows
        ],
    )
    if not rows:
        _out("(no lot verdicts recorded yet: every stream starts on normal inspection)")
    return OK


def _stream(args: argparse.Namespace) -> Stream:
    if bool(args.supplier) == bool(args.sku):
        raise UsageError("name the stream: --supplier NAME, or --sku SKU with --stage STAGE")
    if args.sku and not args.stage:
        raise UsageError("a production stream is a SKU at a stage: add --stage")
    if args.supplier:
        return Stream(StreamKind.SUPPLIER, args.supplier, Stage.RECEIVING)
    return Stream(StreamKind.PRODUCTION, args.sku, Stage(args.stage))


def _user_name(args: argparse.Namespace) -> str:
    name: str | None = args.user or os.environ.get(ENV_USER)
    if not name:
        raise UsageError(f"name yourself with --user NAME (or {ENV_USER})")
    return name


def cmd_sampling_resume(args: argparse.Namespace) -> int:
    stream = _stream(args)
    name = _user_name(args)
    station = open_station(_location(args))
    try:
        user = accounts.login(station, name, _password(f"Password for {name}: "))
        st = lot_streams.resume(station, user, stream, Severity(args.severity), args.reason)
    finally:
        station.close()
    _out(f"{st.label}, {st.severity.value}: inspection resumes on {st.mode.value} inspection")
    return OK


def _cmd_decision(args: argparse.Namespace, decide: Any, done: str) -> int:
    stream = _stream(args)
    name = _user_name(args)
    station = open_station(_location(args))
    try:
        user = accounts.login(station, name, _password(f"Password for {name}: "))
        st = decide(station, user, stream, Severity(args.severity), args.reason)
    finally:
        station.close()
    _out(f"{st.label}, {st.severity.value}: {done} ({st.mode.value} inspection from now on)")
    return OK


def cmd_sampling_reinstate_normal(args: argparse.Namespace) -> int:
    return _cmd_decision(args, lot_streams.reinstate_normal, "normal inspection reinstated")


def cmd_sampling_start_tightened(args: argparse.Namespace) -> int:
    return _cmd_decision(args, lot_streams.start_tightened, "tightened inspection started")


def cmd_sampling_history(args: argparse.Namespace) -> int:
    stream = _stream(args)
    station = open_station(_location(args))
    try:
        events = lot_streams.stream_history(station, stream, limit=args.limit)
    finally:
        station.close()
    if args.json:
        _out(json.dumps([_jsonable(asdict(e)) for e in events], indent=2))
        return OK
    _table(
        ("at (UTC)", "by", "what", "class", "then"),
        [
            (
                f"{e.at:%Y-%m-%d %H:%M}",
                e.actor,
                e.text,
                e.severity.value if e.severity else "",
                e.mode.value if e.mode else "",
            )
            for e in events
        ],
    )
    if not events:
        _out(f"(nothing recorded for {stream.label()} yet)")
    return OK


def cmd_lots_resubmit(args: argparse.Namespace) -> int:
    name = _user_name(args)
    station = open_station(_location(args))
    try:
        user = accounts.login(station, name, _password(f"Password for {name}: "))
        lot = lots.resubmit(
            station, user, args.lot_id, mode=args.mode, lot_size=args.lot_size, seed=args.seed
        )
    finally:
        station.close()
    if args.json:
        _out(json.dumps(_jsonable(asdict(lot)), indent=2))
        return OK
    _out(
        f"Lot {lot.job_ticket} resubmitted as {lot.id} ({lot.stream.label()}, "
        f"{lot.lot_size} items): not counted in the switching rules"
    )
    _out(f"  plans (Ac/Re): {_plans_text(lot)}")
    _out(f"  pull these {len(lot.sample)}: {', '.join(str(n) for n in sorted(lot.sample))}")
    return OK


def add_state_command(add: Any, sampling_group: Any) -> None:
    """`sampling state` lives in the sampling group, which cli/sampling.py creates."""
    p = add(
        "state",
        cmd_sampling_state,
        "switching state (normal/tightened/reduced, score) per supplier or SKU and stage",
        sampling_group,
    )
    p.add_argument("--key", help="one supplier or SKU")
    p.add_argument("--stage", choices=[s.value for s in Stage])
    p.add_argument("--json", action="store_true")
    p = add(
        "resume",
        cmd_sampling_resume,
        "resume a discontinued stream on tightened inspection (supervisor, clause 9.4)",
        sampling_group,
    )
    p.add_argument("--supplier")
    p.add_argument("--sku")
    p.add_argument("--stage", choices=[s.value for s in Stage])
    p.add_argument("--severity", required=True, choices=[s.value for s in Severity])
    p.add_argument("--reason", required=True, help="what was corrected (kept in the audit trail)")
    _user_opt(p)
    for name, func, text in (
        (
            "reinstate-normal",
            cmd_sampling_reinstate_normal,
            "return a stream to normal inspection: from discontinued, from reduced, or from "
            "tightened once 5 lots in a row were accepted (supervisor, with a reason)",
        ),
        (
            "start-tightened",
            cmd_sampling_start_tightened,
            "put a stream on tightened inspection (supervisor, clause 9.1, with a reason)",
        ),
    ):
        p = add(name, func, text, sampling_group)
        p.add_argument("--supplier")
        p.add_argument("--sku")
        p.add_argument("--stage", choices=[s.value for s in Stage])
        p.add_argument("--severity", required=True, choices=[s.value for s in Severity])
        p.add_argument("--reason", required=True, help="why (kept in the audit trail)")
        _user_opt(p)
    p = add(
        "history",
        cmd_sampling_history,
        "a stream's lots (original and resubmitted) and supervisors' decisions, oldest first",
        sampling_group,
    )
    p.add_argument("--supplier")
    p.add_argument("--sku")
    p.add_argument("--stage", choices=[s.value for s in Stage])
    p.add_argument("--limit", type=_count, default=200)
    p.add_argument("--json", action="store_true")


def register(add: Any, group: Any) -> None:
    lsub = group("lots", "lots inspected by ISO 2859-1 sampling")
    p = add("list", cmd_lots_list, "lots with their plans and verdicts, newest first", lsub)
    p.add_argument("--sku")
    p.add_argument("--supplier")
    p.add_argument("--stage", choices=[s.value for s in Stage])
    p.add_argument("--limit", type=_count, default=200)
    p.add_argument("--json", action="store_true")
    p = add(
        "resubmit",
        cmd_lots_resubmit,
        "plan a rejected lot's resubmission (tightened unless a supervisor says --mode "
        "normal; not counted in switching)",
        lsub,
    )
    p.add_argument("lot_id", metavar="LOT_ID")
    p.add_argument("--mode", choices=["normal", "tightened"])
    p.add_argument("--lot-size", type=int, help="items resubmitted (default: the original lot)")
    p.add_argument("--seed", type=int, help="draw seed (default: random, recorded)")
    p.add_argument("--json", action="store_true")
    _user_opt(p)
