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
from qcstation.services import accounts, lots
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
                r.job_ticket,
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
        rows = lots.stream_states(
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


def cmd_sampling_resume(args: argparse.Namespace) -> int:
    if bool(args.supplier) == bool(args.sku):
        raise UsageError("name the stream: --supplier NAME, or --sku SKU with --stage STAGE")
    if args.sku and not args.stage:
        raise UsageError("a production stream is a SKU at a stage: add --stage")
    if args.supplier:
        stream = Stream(StreamKind.SUPPLIER, args.supplier, Stage.RECEIVING)
    else:
        stream = Stream(StreamKind.PRODUCTION, args.sku, Stage(args.stage))
    name = args.user or os.environ.get(ENV_USER)
    if not name:
        raise UsageError(f"name yourself with --user NAME (or {ENV_USER})")
    station = open_station(_location(args))
    try:
        user = accounts.login(station, name, _password(f"Password for {name}: "))
        st = lots.resume(station, user, stream, Severity(args.severity), args.reason)
    finally:
        station.close()
    _out(f"{st.label}, {st.severity.value}: inspection resumes on {st.mode.value} inspection")
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


def register(add: Any, group: Any) -> None:
    lsub = group("lots", "lots inspected by ISO 2859-1 sampling")
    p = add("list", cmd_lots_list, "lots with their plans and verdicts, newest first", lsub)
    p.add_argument("--sku")
    p.add_argument("--supplier")
    p.add_argument("--stage", choices=[s.value for s in Stage])
    p.add_argument("--limit", type=_count, default=200)
    p.add_argument("--json", action="store_true")
