"""`lots list` and `sampling state`: lots inspected by ISO 2859-1 and where each stream stands."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from qcstation.cli._shared import OK, _jsonable, _location, _out, _table
from qcstation.domain.stages import Stage
from qcstation.services import lots
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


def register(add: Any, group: Any) -> None:
    lsub = group("lots", "lots inspected by ISO 2859-1 sampling")
    p = add("list", cmd_lots_list, "lots with their plans and verdicts, newest first", lsub)
    p.add_argument("--sku")
    p.add_argument("--supplier")
    p.add_argument("--stage", choices=[s.value for s in Stage])
    p.add_argument("--limit", type=int, default=200)
    p.add_argument("--json", action="store_true")
