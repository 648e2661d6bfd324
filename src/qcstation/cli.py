"""The command line: a second face over the same services the window uses.

Exit codes: 0 ok; 1 a check found a problem (audit verify, db check); 2 bad usage or
bad input, with a message naming what and where. Expected problems never print a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError

from qcstation import __version__, config, content
from qcstation.domain.inspections import Verdict
from qcstation.domain.records import normalize
from qcstation.domain.stages import Stage
from qcstation.domain.summaries import SearchFilter
from qcstation.domain.users import User
from qcstation.domain.yaml_files import ContentError, load_catalog
from qcstation.services import accounts, audit, demo, inspections, setup, templates
from qcstation.services.context import Station, connect, open_station
from qcstation.services.errors import ServiceError
from qcstation.store import schema
from qcstation.store.database import DatabaseError, is_environmental, redact, translate
from qcstation.store.evidence import EvidenceError

OK, PROBLEM, BAD_INPUT = 0, 1, 2
ENV_USER = "QCSTATION_USER"
ENV_PASSWORD = "QCSTATION_PASSWORD"

# Errors a person can act on: print the message, exit 2, no traceback.
EXPECTED: tuple[type[BaseException], ...] = (
    config.ConfigError,
    DatabaseError,
    ServiceError,
    ContentError,
    schema.SchemaTooNew,
    EvidenceError,
)


class UsageError(Exception):
    pass


def _out(text: str = "") -> None:
    print(text, flush=True)


def _err(text: str) -> None:
    print(f"qcstation: {text}", file=sys.stderr, flush=True)


def _location(args: argparse.Namespace) -> config.Location:
    loc = config.resolve(args.data_dir, args.database_url)
    for warning in loc.warnings:
        _err(f"warning: {warning}")
    return loc


def _password(prompt: str, confirm: bool = False) -> str:
    if os.environ.get(ENV_PASSWORD):
        return os.environ[ENV_PASSWORD]
    if not sys.stdin.isatty():
        raise UsageError(f"no terminal to ask for a password: set {ENV_PASSWORD}")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat the password: ") != first:
        raise UsageError("the two passwords differ")
    return first


def _login(station: Station, args: argparse.Namespace) -> User:
    name = args.user or os.environ.get(ENV_USER)
    if not name:
        raise UsageError(
            f"this command changes data: name yourself with --user NAME (or {ENV_USER})"
        )
    return accounts.login(station, name, _password(f"Password for {name}: "))


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    widths = [max([len(h)] + [len(str(r[i])) for r in rows]) for i, h in enumerate(headers)]
    for line in (headers, *rows):
        _out("  ".join(str(v).ljust(w) for v, w in zip(line, widths, strict=True)).rstrip())


# --- commands -----------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    loc = _location(args)
    if args.station:
        loc = config.Location(
            loc.data_dir,
            loc.database_url,
            loc.settings.model_copy(update={"station_name": args.station}),
            loc.warnings,
        )
        config.save_settings(loc.data_dir, loc.settings)
    station = connect(loc)
    try:
        password = _password(f"New password for {args.admin}: ", confirm=True)
        result = setup.init(station, args.admin, password, args.full_name or "")
    finally:
        station.close()
    _out(f"Database ready at schema {result.schema_to} ({_where(loc)}).")
    _out(f"Administrator {result.admin.username!r} created; station {result.station!r} registered.")
    _out(f"Imported {result.defect_codes} defect codes and {len(result.templates)} checklists:")
    for key in result.templates:
        _out(f"  {key}")
    return OK


def _where(loc: config.Location) -> str:
    return redact(loc.database_url)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    loc = _location(args)
    station = connect(loc)
    try:
        before, after = schema.upgrade(station.db.engine)
    finally:
        station.close()
    if before == after:
        _out(f"The database is already at the newest schema ({after}).")
    else:
        _out(f"Upgraded the database from {before or 'empty'} to {after}.")
    return OK


def cmd_db_check(args: argparse.Namespace) -> int:
    from qcstation.services import maintenance

    station = open_station(_location(args))
    try:
        report = maintenance.check(station)
    finally:
        station.close()
    for line in report.lines:
        _out(line)
    for problem in report.problems:
        _err(f"problem: {problem}")
    _out("OK" if report.ok else f"{len(report.problems)} problem(s) found")
    return OK if report.ok else PROBLEM


def cmd_template_validate(args: argparse.Namespace) -> int:
    catalog = load_catalog(Path(args.catalog) if args.catalog else content.defect_catalog())
    parsed = templates.validate_files([Path(f) for f in args.files], catalog)
    for p in parsed:
        n = sum(1 for _ in p.template.items())
        _out(f"{p.path}: OK — {p.template.key}, {p.template.stage.label}, {n} items")
    return OK


def cmd_template_import(args: argparse.Namespace) -> int:
    station = open_station(_location(args))
    try:
        user = _login(station, args)
        result = templates.import_files(
            station, user, [Path(f) for f in args.files], activate=not args.no_activate
        )
    finally:
        station.close()
    for key in result.imported:
        _out(f"imported {key}" + (" (active)" if key in result.activated else ""))
    for key in result.unchanged:
        _out(f"unchanged {key}" + (" (now active)" if key in result.activated else ""))
    return OK


def cmd_template_list(args: argparse.Namespace) -> int:
    station = open_station(_location(args))
    try:
        rows = templates.list_templates(station)
    finally:
        station.close()
    if args.json:
        _out(json.dumps([_jsonable(asdict(r)) for r in rows], indent=2))
        return OK
    _table(
        ("stage", "template", "version", "active", "used", "name"),
        [
            (
                r.stage.label,
                r.template_key,
                r.version,
                "yes" if r.active else "",
                r.inspections,
                r.name,
            )
            for r in rows
        ],
    )
    return OK


def cmd_template_activate(args: argparse.Namespace) -> int:
    station = open_station(_location(args))
    try:
        info = templates.activate(station, _login(station, args), args.template, args.version)
    finally:
        station.close()
    _out(f"{info.template_key}@{info.version} is now the active {info.stage.label} checklist")
    return OK


def cmd_demo_data(args: argparse.Namespace) -> int:
    station = connect(_location(args))
    try:
        summary = demo.fill(station, args.inspections, args.seed)
    finally:
        station.close()
    _print_demo(summary, station.location)
    return OK


def _print_demo(summary: demo.DemoSummary, loc: config.Location) -> None:
    _out(f"Demo data in {loc.data_dir}")
    _out(
        f"  {summary.inspections} inspections ({summary.unfinished} in progress), "
        f"{summary.defects} defects"
    )
    _out("  by verdict: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.by_verdict.items())))
    _out(
        "  by stage:   "
        + ", ".join(
            f"{Stage(k).label} {v}"
            for k, v in sorted(summary.by_stage.items(), key=lambda kv: Stage(kv[0]).order)
        )
    )
    _out("Demo logins (user / password / role):")
    for user, password, role in summary.users:
        _out(f"  {user:<6} {password:<16} {role}")


def _jsonable(value: Any) -> Any:
    return normalize(value)


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def cmd_inspections_list(args: argparse.Namespace) -> int:
    f = SearchFilter(
        text=args.text,
        sku=args.sku,
        serial=args.serial,
        job_ticket=args.job,
        stage=Stage(args.stage) if args.stage else None,
        verdict=Verdict(args.verdict) if args.verdict else None,
        status=args.status,
        inspector=args.inspector,
        date_from=args.date_from,
        date_to=args.date_to,
        limit=args.limit,
    )
    station = open_station(_location(args))
    try:
        rows = inspections.search(station, f)
    finally:
        station.close()
    if args.json:
        _out(json.dumps([_jsonable(asdict(r)) for r in rows], indent=2))
        return OK
    _table(
        ("started (UTC)", "stage", "job", "sku", "serial", "verdict", "inspector", "id"),
        [
            (
                f"{r.started_at:%Y-%m-%d %H:%M}",
                r.stage.label,
                r.job_ticket,
                r.sku,
                r.serial,
                r.verdict.value if r.verdict else r.status,
                r.inspector,
                r.id,
            )
            for r in rows
        ],
    )
    _out(f"({len(rows)} shown)")
    return OK


def cmd_audit_verify(args: argparse.Namespace) -> int:
    station = open_station(_location(args))
    try:
        report = audit.verify(station)
    finally:
        station.close()
    if report.ok:
        _out(
            f"Audit trail intact: {report.entries} entries chained, "
            f"{report.records} records match their latest entry."
        )
        return OK
    _err(f"the audit trail shows {len(report.findings)} problem(s); the first:")
    for finding in report.findings:
        _out(f"  {finding}")
    return PROBLEM


def cmd_sampling_plan(args: argparse.Namespace) -> int:
    from qcstation.domain import sampling

    try:
        plan = sampling.plan(args.lot_size, args.aql, args.level, args.mode)
    except sampling.SamplingError as exc:
        raise UsageError(str(exc)) from None
    data = {
        "lot_size": plan.lot_size,
        "aql": plan.aql,
        "level": plan.level.value,
        "mode": plan.mode.value,
        "code_letter": plan.code_letter,
        "plan_letter": plan.plan_letter,
        "sample_size": plan.sample_size,
        "accept": plan.accept,
        "reject": plan.reject,
        "hundred_percent": plan.hundred_percent,
    }
    if args.json:
        _out(json.dumps(data))
        return OK
    _out(
        f"Lot of {plan.lot_size}, level {plan.level.value}, AQL {plan.aql}, "
        f"{plan.mode.value} inspection"
    )
    _out(
        f"  code letter {plan.code_letter}"
        + (f" (plan of letter {plan.plan_letter})" if plan.plan_letter != plan.code_letter else "")
    )
    _out(
        f"  inspect {plan.sample_size} piece(s)"
        + (" — that is every piece in the lot" if plan.hundred_percent else "")
    )
    _out(f"  accept with {plan.accept} or fewer nonconforming, reject with {plan.reject} or more")
    return OK


def cmd_self_test(args: argparse.Namespace) -> int:
    from qcstation.services import selftest

    results = selftest.run(_out)
    return OK if all(ok for _, ok, _ in results) else PROBLEM


def cmd_window(args: argparse.Namespace) -> int:
    from qcstation import app

    return app.main(args)


# --- parser -------------------------------------------------------------------------------


def _common() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument(
        "--data-dir",
        default=argparse.SUPPRESS,
        help=f"where this station keeps its data (env {config.ENV_DATA_DIR})",
    )
    p.add_argument(
        "--database-url",
        default=argparse.SUPPRESS,
        help=f"PostgreSQL URL of a plant database (env {config.ENV_DATABASE_URL})",
    )
    return p


def _user_opt(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--user",
        help=f"who makes the change (env {ENV_USER}); password from a prompt or {ENV_PASSWORD}",
    )


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="qcstation",
        description="Quality inspection station for jewelry manufacturing.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"qcstation {__version__}")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open on demo data with demo users (a demo data directory unless --data-dir is given)",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation end to end on a temporary data directory",
    )
    parser.set_defaults(func=cmd_window)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    def add(
        name: str, func: Callable[[argparse.Namespace], int], help: str, parent: Any = sub
    ) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = parent.add_parser(
            name, help=help, description=help, parents=[common]
        )
        p.set_defaults(func=func)
        return p

    def group(name: str, help: str) -> Any:
        p = add(name, lambda _args: _missing(p), help)
        return p.add_subparsers(metavar="ACTION")

    p = add(
        "init",
        cmd_init,
        "create the database, the first administrator, and load the shipped checklists",
    )
    p.add_argument("--admin", required=True, help="user name of the first administrator")
    p.add_argument("--full-name", help="the administrator's printed name")
    p.add_argument("--station", help="this station's name (default: the computer's name)")

    db = group("db", "database schema and health")
    add("upgrade", cmd_db_upgrade, "migrate the database to this version's schema", db)
    add("check", cmd_db_check, "check database integrity and evidence files", db)

    tsub = group("template", "checklist templates")
    p = add("validate", cmd_template_validate, "check template files without importing them", tsub)
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument(
        "--catalog", help="defect catalog to check codes against (default: the shipped one)"
    )
    p = add(
        "import",
        cmd_template_import,
        "import template files (all or nothing) and activate them",
        tsub,
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument(
        "--no-activate", action="store_true", help="import without making them the active versions"
    )
    _user_opt(p)
    p = add("list", cmd_template_list, "list imported templates and versions", tsub)
    p.add_argument("--json", action="store_true")
    p = add("activate", cmd_template_activate, "make a version the one new inspections use", tsub)
    p.add_argument("template")
    p.add_argument("version", type=int)
    _user_opt(p)

    p = add(
        "demo-data",
        cmd_demo_data,
        "fill a data directory with demo users and realistic inspections",
    )
    p.add_argument("--inspections", type=int, default=40, help="how many inspections (default 40)")
    p.add_argument("--seed", type=int, default=2026)

    isub = group("inspections", "past and open inspections")
    p = add("list", cmd_inspections_list, "search inspections, newest first", isub)
    p.add_argument("--json", action="store_true")
    p.add_argument("text", nargs="?", help="a job ticket, SKU or serial")
    p.add_argument("--sku")
    p.add_argument("--serial")
    p.add_argument("--job")
    p.add_argument("--stage", choices=[s.value for s in Stage])
    p.add_argument("--verdict", choices=[v.value for v in Verdict])
    p.add_argument("--status", choices=["in_progress", "completed"])
    p.add_argument("--inspector")
    p.add_argument("--from", dest="date_from", type=_parse_date, metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", type=_parse_date, metavar="YYYY-MM-DD")
    p.add_argument("--limit", type=int, default=50)

    asub = group("audit", "the audit trail")
    add("verify", cmd_audit_verify, "check the audit chain and that every record matches it", asub)

    ssub = group("sampling", "ISO 2859-1 acceptance sampling")
    p = add("plan", cmd_sampling_plan, "sample size and accept/reject numbers for a lot", ssub)
    p.add_argument("--lot-size", type=int, required=True)
    p.add_argument("--aql", required=True)
    p.add_argument("--level", default="II")
    p.add_argument("--mode", default="normal")
    p.add_argument("--json", action="store_true")
    return parser


def _missing(p: argparse.ArgumentParser) -> int:
    p.print_help(sys.stderr)
    return BAD_INPUT


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for name in ("data_dir", "database_url"):
        if not hasattr(args, name):
            setattr(args, name, None)
    if getattr(args, "self_test", False):
        args.func = cmd_self_test
    try:
        return int(args.func(args))
    except UsageError as exc:
        _err(f"error: {exc}")
        return BAD_INPUT
    except ContentError as exc:
        for problem in exc.problems:
            print(str(problem), file=sys.stderr)
        _err(f"error: {len(exc.problems)} problem(s); nothing was written")
        return BAD_INPUT
    except EXPECTED as exc:
        _err(f"error: {exc}")
        return BAD_INPUT
    except DBAPIError as exc:
        if not is_environmental(exc):
            raise
        _err(f"error: {translate(exc, args.database_url)}")
        return BAD_INPUT
    except KeyboardInterrupt:
        _err("interrupted; everything committed so far is kept")
        return 130
