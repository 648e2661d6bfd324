"""Commands for the station itself: init, db, templates, demo data, inspections, audit,
self-test and the window."""

from __future__ import annotations

import argparse
import json
import os
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

from qcstation import config, content
from qcstation.cli import unfinished
from qcstation.cli._shared import (
    ENV_ROOT_PASSPHRASE,
    OK,
    PROBLEM,
    UsageError,
    _count,
    _err,
    _jsonable,
    _location,
    _login,
    _out,
    _parse_date,
    _password,
    _table,
    _user_opt,
    _version,
    _whole,
)
from qcstation.domain.inspections import Verdict
from qcstation.domain.stages import Stage
from qcstation.domain.summaries import SearchFilter
from qcstation.domain.yaml_files import load_catalog
from qcstation.services import audit, inspections, setup, templates
from qcstation.services.context import connect, open_station, shown_url


def cmd_init(args: argparse.Namespace) -> int:
    from qcstation.services import station_secrets

    loc = _location(args)
    update: dict[str, Any] = {}
    if args.station:
        update["station_name"] = args.station
    if args.secret_store:
        update["secret_store"] = args.secret_store
    if args.database_url and not args.database_url.startswith("sqlite"):
        # Later runs find the plant server; the URL is kept without its password.
        update["database_url"] = loc.database_url
    if update:
        loc = config.Location(
            loc.data_dir,
            loc.database_url,
            loc.settings.model_copy(update=update),
            loc.warnings,
            loc.database_password,
        )
    if not loc.is_sqlite:
        # A station of a plant server keeps its key (and maybe the server's password) in
        # the secret store: say where, or why nowhere, before anything is written.
        where = station_secrets.prepare_plant_station(loc)
        _out(f"This station's secrets (its key, the database password) are kept in {where}.")
    station = connect(loc)
    try:
        joining = setup.plant_exists(station)
        password = _password(
            f"Password for {args.admin}: " if joining else f"New password for {args.admin}: ",
            confirm=not joining,
        )
        result = setup.init(station, args.admin, password, args.full_name or "")
    finally:
        station.close()
    if update:
        config.save_settings(loc.data_dir, loc.settings, by=f"`qcstation init` ({args.admin})")
    _out(f"Database ready at schema {result.schema_to} ({_where(loc)}).")
    if result.station_key is not None:
        _out(
            f"Station key {result.station_key.key_id[:16]}… made for {result.station!r}"
            + (
                ", certified by the plant root."
                if result.station_key.certified
                else "; it waits for the plant root's certificate: an administrator runs "
                "`qcstation keys issue`."
            )
        )
    if result.joined:
        _out(
            f"Station {result.station!r} registered on the plant database by "
            f"{result.admin.username!r}; it shares the server's users, defect catalog "
            f"({result.defect_codes} codes) and active checklists:"
        )
        for key in result.templates:
            _out(f"  {key}")
        return OK
    if result.resumed:
        _out(
            f"An earlier init was cut short: finished it as {result.admin.username!r}; "
            f"station {result.station!r} registered."
        )
    else:
        _out(
            f"Administrator {result.admin.username!r} created; "
            f"station {result.station!r} registered."
        )
    if result.root_created:  # issue 6
        _out(
            "Plant root certificate created; its key is sealed under "
            + (
                "QCSTATION_ROOT_PASSPHRASE."
                if os.environ.get(ENV_ROOT_PASSPHRASE)
                else "the administrator's password (set QCSTATION_ROOT_PASSPHRASE at init to keep "
                "them apart)."
            )
        )
    _out(f"Imported {result.defect_codes} defect codes and {len(result.templates)} checklists:")
    for key in result.templates:
        _out(f"  {key}")
    return OK


def _where(loc: config.Location) -> str:
    return shown_url(loc.database_url)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from qcstation.services import upgrades

    loc = _location(args)
    station = connect(loc)
    try:
        if not loc.is_sqlite and upgrades.is_behind(station):
            _out(
                "PostgreSQL: qcstation makes no copy of a plant database; back it up first "
                "(pg_dump, see docs/data.md). The upgrade runs in one transaction."
            )
        result = upgrades.upgrade(station)
    finally:
        station.close()
    _out(result.describe())
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


def cmd_template_import_catalog(args: argparse.Namespace) -> int:
    path = Path(args.file) if args.file else content.defect_catalog()
    station = open_station(_location(args))
    try:
        user = _login(station, args)
        count = templates.import_catalog(station, user, path)
    finally:
        station.close()
    _out(f"imported {count} defect codes from {path} (codes in use are kept)")
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


def cmd_template_export(args: argparse.Namespace) -> int:
    from qcstation.services import template_editor

    station = open_station(_location(args))
    try:
        path = template_editor.export(
            station, args.template, args.version, Path(args.file), overwrite=args.force
        )
    finally:
        station.close()
    _out(f"wrote {args.template}@{args.version} to {path}")
    return OK


def cmd_template_diff(args: argparse.Namespace) -> int:
    from qcstation.services import template_editor

    station = open_station(_location(args))
    try:
        found = template_editor.diff_versions(station, args.template, args.old, args.new)
    finally:
        station.close()
    lines = found.lines()
    _out("\n".join(lines) if lines else f"versions {args.old} and {args.new} are the same")
    return OK


def cmd_demo_data(args: argparse.Namespace) -> int:
    station = connect(_location(args))
    try:
        from qcstation.services import demo  # renders images: loaded only when asked for

        summary = demo.fill(station, args.inspections, args.seed)
    finally:
        station.close()
    for line in summary.lines(station.location.data_dir):
        _out(line)
    return OK


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
                r.shown_verdict,
                r.inspector,
                r.id,
            )
            for r in rows
        ],
    )
    _out(f"({len(rows)} shown)")
    return OK


def cmd_audit_verify(args: argparse.Namespace) -> int:
    fingerprint = (args.root_fingerprint or "").replace(":", "").strip().lower() or None
    if fingerprint is not None and not re.fullmatch(r"[0-9a-f]{64}", fingerprint):
        raise UsageError("--root-fingerprint takes the 64 hex digits `keys public` prints")
    from qcstation.services import keys

    station = open_station(_location(args))
    try:
        report = audit.verify(station, fingerprint)
        warnings = keys.warnings(station)
    finally:
        station.close()
    for note in report.notes:
        _out(f"  {note}")
    for warning in warnings:
        _out(f"WARNING: {warning}")
    if report.ok:
        _out(
            f"Audit trail intact: {report.entries} entries chained, {report.signed_entries} "
            f"signatures checked, {report.records} records match their latest entry."
        )
        return OK
    _err(f"the audit trail shows {len(report.findings)} problem(s); the first:")
    for finding in report.findings:
        _out(f"  {finding}")
    return PROBLEM


def cmd_self_test(args: argparse.Namespace) -> int:
    from qcstation import app  # the window check needs Qt, which only app.py and ui/ import

    # Only an explicit --data-dir (never the environment's): the checks fill it with a
    # station of their own, so it must be new or empty; the report and window picture stay.
    data_dir = Path(args.data_dir).expanduser() if args.data_dir else None
    if data_dir is not None and data_dir.exists() and any(data_dir.iterdir()):
        raise UsageError(
            f"--self-test writes a fresh station into {data_dir}, which is not empty: "
            "give a new or empty directory, or leave --data-dir out for a temporary one"
        )
    return OK if app.self_test(_out, data_dir) else PROBLEM


ROLES_HELP = (
    "(the plant database's owner) give the station role exactly what stations may do, and "
    "a login of its own to each station named"
)


def register(add: Any, group: Any) -> None:
    p = add(
        "init",
        cmd_init,
        "create the database, the first administrator, and load the shipped checklists",
    )
    p.add_argument(
        "--admin",
        required=True,
        help="user name of the first administrator; on a plant database that is set up "
        "already, an existing administrator who registers this station",
    )
    p.add_argument("--full-name", help="the administrator's printed name")
    p.add_argument("--station", help="this station's name (default: the computer's name)")
    p.add_argument(
        "--secret-store",
        choices=["keyring", "file"],
        help="where a station of a plant server keeps its key and database password: the OS "
        "keyring, or a file in the data directory only this account reads (default: the OS "
        "keyring when there is one; env QCSTATION_SECRET_STORE)",
    )

    db = group("db", "database schema and health")
    add("upgrade", cmd_db_upgrade, "migrate the database to this version's schema", db)
    add("check", cmd_db_check, "check database integrity and evidence files", db)
    from qcstation.cli.plantdb import cmd_db_roles, register_roles

    register_roles(add("roles", cmd_db_roles, ROLES_HELP, db))

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
    p = add(
        "import-catalog",
        cmd_template_import_catalog,
        "add and update defect codes from a catalog file (default: the shipped one)",
        tsub,
    )
    p.add_argument("file", nargs="?", metavar="FILE")
    _user_opt(p)
    p = add("list", cmd_template_list, "list imported templates and versions", tsub)
    p.add_argument("--json", action="store_true")
    p = add("activate", cmd_template_activate, "make a version the one new inspections use", tsub)
    p.add_argument("template")
    p.add_argument("version", type=_version)
    _user_opt(p)
    p = add(
        "export",
        cmd_template_export,
        "write a version's YAML to a file (importing it gives the same template)",
        tsub,
    )
    p.add_argument("template")
    p.add_argument("version", type=_version)
    p.add_argument("file", metavar="FILE")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    p = add("diff", cmd_template_diff, "what changed from one version to another", tsub)
    p.add_argument("template")
    p.add_argument("old", type=_version, metavar="OLD")
    p.add_argument("new", type=_version, metavar="NEW")

    p = add(
        "demo-data",
        cmd_demo_data,
        "fill a data directory with demo users and realistic inspections",
    )
    p.add_argument(
        "--inspections",
        type=_whole("a number of inspections", 1, 1_000_000),
        default=40,
        help="how many inspections (default 40)",
    )
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
    p.add_argument("--status", choices=["in_progress", "completed", "abandoned"])
    p.add_argument("--inspector")
    p.add_argument("--from", dest="date_from", type=_parse_date, metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", type=_parse_date, metavar="YYYY-MM-DD")
    p.add_argument("--limit", type=_count, default=50)
    unfinished.register(add, isub)

    asub = group("audit", "the audit trail")
    p = add(
        "verify",
        cmd_audit_verify,
        "check the audit chain, its signatures and this station's anchor, and that every "
        "record matches it",
        asub,
    )
    p.add_argument(
        "--root-fingerprint",
        help="the plant root's SHA-256 as you know it (from `keys public`); default: the one "
        "this station pinned",
    )
