"""`ncr` and `capa`: nonconforming items and their dispositions, corrective actions."""

from __future__ import annotations

import argparse
import json
import mimetypes
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from qcstation.cli._shared import (
    OK,
    UsageError,
    _count,
    _id,
    _jsonable,
    _location,
    _login,
    _out,
    _parse_date,
    _table,
    _user_opt,
)
from qcstation.domain.corrective import CapaStatus, CorrectiveAction, RootCauseCategory
from qcstation.domain.nonconformance import DISPOSITION_WORDS, Nonconformance
from qcstation.services import corrective_actions as capa
from qcstation.services import nonconformance
from qcstation.services.context import Station, open_station
from qcstation.services.corrective_actions import CapaEdit, NewFile


def _with_station(args: argparse.Namespace, work: Any) -> Any:
    station = open_station(_location(args))
    try:
        return work(station)
    finally:
        station.close()


def _ncr_rows(items: list[Nonconformance]) -> None:
    _table(
        (
            "id",
            "found (UTC)",
            "stage",
            "job",
            "sku",
            "piece/lot",
            "where",
            "code",
            "severity",
            "disposition",
            "photos",
        ),
        [
            (
                n.defect_id,
                f"{n.found_at:%Y-%m-%d %H:%M}",
                n.stage.label,
                n.job_ticket,
                n.sku,
                n.subject_label,
                n.where,
                n.code,
                n.severity.value,
                n.disposition.value.replace("_", " "),
                len(n.photos),
            )
            for n in items
        ],
    )


def cmd_ncr_list(args: argparse.Namespace) -> int:
    def work(station: Station) -> list[Nonconformance]:
        if args.decided:
            return nonconformance.recent_decisions(station, args.limit)
        return nonconformance.open_items(station, args.limit)

    items = _with_station(args, work)
    if args.json:
        _out(json.dumps([_jsonable(asdict(n)) for n in items], indent=2))
        return OK
    _ncr_rows(items)
    _out(f"({len(items)} {'decided' if args.decided else 'open'})")
    return OK


def cmd_ncr_disposition(args: argparse.Namespace) -> int:
    disposition = DISPOSITION_WORDS[args.as_]

    def work(station: Station) -> Nonconformance:
        user = _login(station, args)
        return nonconformance.decide(station, user, args.id, disposition, args.reason or "")

    done = _with_station(args, work)
    _out(f"defect {done.defect_id} ({done.code}, {done.subject_label}): {args.as_}")
    if done.rework_inspection_id:
        _out(f"re-inspection after rework: {done.rework_inspection_id}")
    return OK


def _capa_line(a: CorrectiveAction, today: Any) -> tuple[Any, ...]:
    source = f"defect {a.defect_id}" if a.defect_id else f"trend {a.trend_code}"
    due = min(a.dues(), default=None)
    return (
        a.id,
        a.status.value.replace("_", " "),
        ("OVERDUE " if a.overdue(today) else "") + (f"{due}" if due else ""),
        a.owner,
        source,
        a.title,
    )


def cmd_capa_list(args: argparse.Namespace) -> int:
    def work(station: Station) -> tuple[list[CorrectiveAction], Any]:
        return capa.list_actions(station, include_closed=not args.open), station.now().date()

    actions, today = _with_station(args, work)
    if args.json:
        out = [dict(_jsonable(asdict(a)), overdue=a.overdue(today)) for a in actions]
        _out(json.dumps(out, indent=2))
        return OK
    _table(
        ("id", "status", "due", "owner", "from", "title"), [_capa_line(a, today) for a in actions]
    )
    _out(f"({len(actions)} shown, {sum(a.overdue(today) for a in actions)} overdue)")
    return OK


def cmd_capa_open(args: argparse.Namespace) -> int:
    if (args.defect is None) == (args.trend is None):
        raise UsageError("give --defect ID or --trend CODE --from DATE --to DATE")
    trend = None
    if args.trend is not None:
        if args.date_from is None or args.date_to is None:
            raise UsageError("a trend needs its period: --from YYYY-MM-DD --to YYYY-MM-DD")
        trend = (args.trend, args.date_from, args.date_to)

    def work(station: Station) -> CorrectiveAction:
        user = _login(station, args)
        return capa.open_action(station, user, args.title, args.problem, args.defect, trend)

    a = _with_station(args, work)
    _out(f"corrective action {a.id} opened: {a.title}")
    return OK


def cmd_capa_edit(args: argparse.Namespace) -> int:
    def work(station: Station) -> CorrectiveAction:
        user = _login(station, args)
        a = capa.get(station, args.id)
        edit = CapaEdit(
            a.title,
            a.problem,
            a.containment,
            a.root_cause_category,
            a.root_cause,
            a.why_chain,
            a.corrective,
            a.owner,
            a.due,
            a.preventive,
            a.preventive_owner,
            a.preventive_due,
        )
        given = {
            "title": args.title,
            "problem": args.problem,
            "containment": args.containment,
            "root_cause_category": RootCauseCategory(args.category) if args.category else None,
            "root_cause": args.root_cause,
            "why_chain": tuple(args.why) if args.why else None,
            "corrective": args.corrective,
            "owner": args.owner,
            "due": args.due,
            "preventive": args.preventive,
            "preventive_owner": args.preventive_owner,
            "preventive_due": args.preventive_due,
        }
        edit = replace(edit, **{k: v for k, v in given.items() if v is not None})
        return capa.update(station, user, args.id, edit)

    a = _with_station(args, work)
    _out(f"corrective action {a.id} saved ({a.status.value.replace('_', ' ')})")
    return OK


def cmd_capa_advance(args: argparse.Namespace) -> int:
    def work(station: Station) -> CorrectiveAction:
        return capa.advance(
            station, _login(station, args), args.id, CapaStatus(args.to), args.reason or ""
        )

    a = _with_station(args, work)
    _out(f"corrective action {a.id} is now {a.status.value.replace('_', ' ')}")
    return OK


def cmd_capa_close(args: argparse.Namespace) -> int:
    files = []
    for name in args.file or ():
        path = Path(name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read the evidence file {path}: {exc.strerror}") from None
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        files.append(NewFile(path.name, data, kind))

    def work(station: Station) -> CorrectiveAction:
        return capa.close(station, _login(station, args), args.id, args.evidence, files)

    a = _with_station(args, work)
    _out(
        f"corrective action {a.id} closed, signed off by {a.verified_by}"
        + (f"; {len(a.evidence_files)} evidence file(s) kept" if a.evidence_files else "")
    )
    return OK


def register(add: Any, group: Any) -> None:
    nsub = group("ncr", "nonconforming items and their dispositions")
    p = add("list", cmd_ncr_list, "nonconforming items waiting for a disposition", nsub)
    p.add_argument("--decided", action="store_true", help="the latest decided ones instead")
    p.add_argument("--limit", type=_count, default=200)
    p.add_argument("--json", action="store_true")
    p = add("disposition", cmd_ncr_disposition, "decide what happens to a nonconforming item", nsub)
    p.add_argument("id", type=_id, help="the defect id (from `ncr list`)")
    p.add_argument("--as", dest="as_", required=True, choices=list(DISPOSITION_WORDS))
    p.add_argument("--reason", help="why (required for use-as-is; kept in the audit trail)")
    _user_opt(p)

    csub = group("capa", "corrective and preventive actions (8D)")
    p = add("list", cmd_capa_list, "corrective actions, overdue first", csub)
    p.add_argument("--open", action="store_true", help="leave out closed ones")
    p.add_argument("--json", action="store_true")
    p = add("open", cmd_capa_open, "open a corrective action from a defect or a trend", csub)
    p.add_argument("--title", required=True)
    p.add_argument("--problem", required=True)
    p.add_argument("--defect", type=_id, help="the defect it starts from")
    p.add_argument("--trend", metavar="CODE", help="a defect code whose trend it starts from")
    p.add_argument("--from", dest="date_from", type=_parse_date, metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", type=_parse_date, metavar="YYYY-MM-DD")
    _user_opt(p)
    p = add("edit", cmd_capa_edit, "fill in containment, root cause and actions", csub)
    p.add_argument("id", type=_id)
    for name in ("title", "problem", "containment", "root-cause", "corrective", "preventive"):
        p.add_argument(f"--{name}")
    p.add_argument("--category", choices=[c.value for c in RootCauseCategory])
    p.add_argument("--why", action="append", help="one why of the chain (repeat, in order)")
    p.add_argument("--owner", help="user name owning the corrective action")
    p.add_argument("--due", type=_parse_date, metavar="YYYY-MM-DD")
    p.add_argument("--preventive-owner")
    p.add_argument("--preventive-due", type=_parse_date, metavar="YYYY-MM-DD")
    _user_opt(p)
    p = add("advance", cmd_capa_advance, "move a corrective action to its next status", csub)
    p.add_argument("id", type=_id)
    p.add_argument(
        "--to",
        required=True,
        choices=[CapaStatus.IN_PROGRESS.value, CapaStatus.AWAITING_VERIFICATION.value],
    )
    p.add_argument("--reason", help="why (required when verification sends it back)")
    _user_opt(p)
    p = add("close", cmd_capa_close, "sign off a verified corrective action (supervisor)", csub)
    p.add_argument("id", type=_id)
    p.add_argument("--evidence", required=True, help="what shows the action was effective")
    p.add_argument("--file", action="append", help="an evidence file to keep (repeatable)")
    _user_opt(p)
