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
from typing import TYPE_CHECKING, Any

from qcstation import __version__, config, content
from qcstation.domain.inspections import Verdict
from qcstation.domain.records import normalize
from qcstation.domain.stages import Stage
from qcstation.domain.summaries import SearchFilter
from qcstation.domain.users import User
from qcstation.domain.yaml_files import ContentError, load_catalog
from qcstation.services import accounts, audit, inspections, setup, templates
from qcstation.services.context import Station, connect, open_station
from qcstation.services.errors import ServiceError
from qcstation.store import schema
from qcstation.store.database import (
    DatabaseError,
    DriverError,
    is_environmental,
    redact,
    sqlite_file,
    translate,
)
from qcstation.store.evidence import EvidenceError

if TYPE_CHECKING:
    from qcstation.services.demo import DemoSummary

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
        from qcstation.services import demo  # renders images: loaded only when asked for

        summary = demo.fill(station, args.inspections, args.seed)
    finally:
        station.close()
    _print_demo(summary, station.location)
    return OK


def _print_demo(summary: DemoSummary, loc: config.Location) -> None:
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


# --- signed reports, certificates, signing keys (issue 6) --------------------------------
# One block, kept apart from the rest: `sign`, `correct`, `report export`,
# `certificate export`, `verify`, and the `keys` group.

ENV_ROOT_PASSPHRASE = "QCSTATION_ROOT_PASSPHRASE"
ENV_P12_PASSPHRASE = "QCSTATION_P12_PASSPHRASE"


def _secret(env: str, prompt: str) -> str:
    if os.environ.get(env):
        return os.environ[env]
    if not sys.stdin.isatty():
        raise UsageError(f"no terminal to ask for it: set {env}")
    return getpass.getpass(prompt)


def _named_user(station: Station, args: argparse.Namespace) -> tuple[User, str]:
    """The user named by --user, and their password (checked by the service that uses it,
    so a wrong one is counted once and the message says nothing was done)."""
    name = args.user or os.environ.get(ENV_USER)
    if not name:
        raise UsageError(f"name yourself with --user NAME (or {ENV_USER})")
    password = _password(f"Password for {name}: ")
    for user in accounts.list_users(station):
        if user.username == name:
            return user, password
    raise ServiceError("unknown user or wrong password")


def cmd_sign(args: argparse.Namespace) -> int:
    from qcstation.domain.signing import Meaning
    from qcstation.services import signing

    station = open_station(_location(args))
    try:
        user, password = _named_user(station, args)
        sig = signing.sign(station, user, args.id, Meaning(args.meaning), password)
    finally:
        station.close()
    m = sig.manifest
    _out(f"Signed as {m.meaning.value} by {m.printed_name} ({m.role})")
    _out(f"  at {m.signed_at:%Y-%m-%d %H:%M:%S} UTC, local {m.local_time}")
    _out(f"  record SHA-256 {m.record_hash}")
    return OK


def cmd_correct(args: argparse.Namespace) -> int:
    from qcstation.services import corrections

    station = open_station(_location(args))
    try:
        new = corrections.correct(station, _login(station, args), args.id, args.reason)
    finally:
        station.close()
    _out(f"New version {new.id} opened (in progress), correcting {args.id}.")
    _out("Change it, complete it, and sign it; the old version is kept as it was.")
    return OK


def cmd_report_export(args: argparse.Namespace) -> int:
    from qcstation.services import documents

    station = open_station(_location(args))
    try:
        user, password = _named_user(station, args)
        if len(args.ids) == 1 and not Path(args.output).is_dir():
            done = [
                documents.export_report(station, user, password, args.ids[0], Path(args.output))
            ]
        else:
            out_dir = Path(args.output)
            if not out_dir.is_dir():
                raise UsageError(f"with several inspections, -o must be a folder: {out_dir}")
            done = documents.export_reports(station, user, password, args.ids, out_dir)
    finally:
        station.close()
    for e in done:
        _out(f"report {e.number} -> {e.path} ({'PAdES B-T' if e.timestamped else 'PAdES B-B'})")
    return OK


def cmd_certificate_export(args: argparse.Namespace) -> int:
    from qcstation.services import documents

    details = documents.CertificateDetails(
        args.description or "",
        args.metal or "",
        args.fineness or "",
        args.weight or "",
        args.stones or "",
    )
    station = open_station(_location(args))
    try:
        user, password = _named_user(station, args)
        e = documents.export_certificate(
            station,
            user,
            password,
            args.id,
            Path(args.output),
            args.size,
            details if details.as_dict() else None,
        )
    finally:
        station.close()
    _out(f"certificate {e.number} -> {e.path}")
    return OK


def _station_if_any(args: argparse.Namespace) -> Station | None:
    """The station database when one is set up here; None (offline checks) otherwise."""
    loc = _location(args)
    if loc.is_sqlite:
        db_file = sqlite_file(loc.database_url)
        if db_file is None or not db_file.exists():
            _err("note: no station database here; checking signatures only")
            return None
    try:
        return open_station(loc)
    except (ServiceError, DatabaseError) as exc:
        _err(f"note: no station database to compare with ({exc}); checking signatures only")
        return None


def cmd_verify(args: argparse.Namespace) -> int:
    from qcstation.services import verify

    if bool(args.qr) == bool(args.file):
        raise UsageError("give a PDF file, or --qr PAYLOAD_OR_IMAGE")
    station = _station_if_any(args)
    try:
        if args.qr:
            result = verify.verify_qr(args.qr, station, [Path(p) for p in args.public_key])
        else:
            result = verify.verify_pdf(Path(args.file), station, [Path(p) for p in args.trust])
    finally:
        if station is not None:
            station.close()
    for line in result.lines:
        _out(f"  {line}")
    for problem in result.problems:
        _out(f"  PROBLEM: {problem}")
    _out("VALID" if result.ok else "INVALID")
    return OK if result.ok else PROBLEM


def cmd_keys_list(args: argparse.Namespace) -> int:
    from qcstation.services import keys

    station = open_station(_location(args))
    try:
        rows = keys.list_keys(station)
    finally:
        station.close()
    _table(
        ("kind", "user", "status", "algorithm", "origin", "seal", "key id", "subject"),
        [
            (
                k.kind,
                k.username or "",
                k.status.value,
                k.algorithm,
                k.origin,
                "yes" if k.can_seal else "",
                k.key_id[:16],
                k.subject,
            )
            for k in rows
        ],
    )
    return OK


def cmd_keys_issue(args: argparse.Namespace) -> int:
    from qcstation.services import keys

    station = open_station(_location(args))
    try:
        admin = _login(station, args)
        passphrase = _secret(ENV_ROOT_PASSPHRASE, "Root passphrase: ")
        if keys.setup_plant(station, admin, passphrase):
            _out("Created the plant root certificate and the certificate seal.")
        done = keys.issue_pending(station, admin, passphrase)
    finally:
        station.close()
    for k in done:
        _out(f"issued {k.username}: {k.subject}")
    _out(f"{len(done)} key(s) issued")
    return OK


def cmd_keys_request(args: argparse.Namespace) -> int:
    from qcstation.services import keys

    station = open_station(_location(args))
    try:
        user, password = _named_user(station, args)
        k = keys.request_key(station, user, password)
    finally:
        station.close()
    _out(
        f"new key {k.key_id[:16]} for {k.username}: {k.status.value} (an administrator issues "
        "it with `qcstation keys issue`)"
    )
    return OK


def cmd_keys_import(args: argparse.Namespace) -> int:
    from qcstation.services import keys

    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    station = open_station(_location(args))
    try:
        user, password = _named_user(station, args)
        p12 = _secret(ENV_P12_PASSPHRASE, f"Passphrase of {args.file}: ")
        k = keys.import_pkcs12(station, user, password, data, p12)
    finally:
        station.close()
    _out(
        f"imported {k.subject} for {k.username}: {k.status.value} until an administrator "
        "approves it with `qcstation keys issue`"
    )
    return OK


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    from qcstation.services import keys

    station = open_station(_location(args))
    try:
        n = keys.revoke(station, _login(station, args), args.username, args.reason)
    finally:
        station.close()
    _out(f"revoked {n} key(s) of {args.username}; they can no longer sign")
    return OK


def cmd_keys_public(args: argparse.Namespace) -> int:
    from qcstation.services import keys

    station = open_station(_location(args))
    try:
        pem = keys.plant_certificates(station)
    finally:
        station.close()
    if args.output:
        Path(args.output).write_text(pem, "ascii")
        _out(f"plant root and seal certificates -> {args.output}")
    else:
        sys.stdout.write(pem)
    return OK


def _add_signing_commands(sub: Any, add: Any, group: Any) -> None:
    p = add("sign", cmd_sign, "sign a completed inspection (password re-entered)")
    p.add_argument("id", help="inspection ID")
    p.add_argument("--meaning", required=True, choices=["performed", "reviewed", "approved"])
    _user_opt(p)
    p = add("correct", cmd_correct, "open a new version of a completed inspection, with a reason")
    p.add_argument("id", help="inspection ID")
    p.add_argument("--reason", required=True)
    _user_opt(p)
    rsub = group("report", "signed inspection reports (PDF)")
    p = add("export", cmd_report_export, "export signed inspection reports", rsub)
    p.add_argument("ids", nargs="+", metavar="ID")
    p.add_argument("-o", "--output", required=True, help="the PDF file (a folder for several)")
    _user_opt(p)
    csub = group("certificate", "customer certificates (PDF with a signed QR code)")
    p = add("export", cmd_certificate_export, "export a customer certificate", csub)
    p.add_argument("id", help="inspection ID")
    p.add_argument("-o", "--output", required=True, help="the PDF file")
    p.add_argument("--size", choices=["a4", "letter", "card"], help="default: settings paper")
    for name in ("description", "metal", "fineness", "weight", "stones"):
        p.add_argument(f"--{name}", help=f"the piece's {name} as printed")
    _user_opt(p)
    p = add(
        "verify",
        cmd_verify,
        "check a signed PDF, or a certificate's QR code (exit 0 valid, 1 invalid, 2 unreadable)",
    )
    p.add_argument("file", nargs="?", metavar="FILE.pdf")
    p.add_argument(
        "--qr", metavar="PAYLOAD_OR_IMAGE", help="QR text, a URL holding it, or an image"
    )
    p.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="PEM",
        help="root certificate(s) to trust when no station database is at hand",
    )
    p.add_argument(
        "--public-key",
        action="append",
        default=[],
        metavar="PEM",
        help="the plant's public key or seal certificate, for offline QR checks",
    )
    ksub = group("keys", "the plant's root certificate and users' signing keys")
    add("list", cmd_keys_list, "list signing keys and their state", ksub)
    p = add(
        "issue",
        cmd_keys_issue,
        f"issue pending certificates (root passphrase from {ENV_ROOT_PASSPHRASE} or a prompt)",
        ksub,
    )
    _user_opt(p)
    p = add("request", cmd_keys_request, "make yourself a new signing key (pending issue)", ksub)
    _user_opt(p)
    p = add(
        "import",
        cmd_keys_import,
        "sign with a company PKI identity from a PKCS#12 file "
        f"(its passphrase from {ENV_P12_PASSPHRASE} or a prompt)",
        ksub,
    )
    p.add_argument("file", metavar="FILE.p12")
    _user_opt(p)
    p = add("revoke", cmd_keys_revoke, "revoke a user's signing keys", ksub)
    p.add_argument("username")
    p.add_argument("--reason", required=True)
    _user_opt(p)
    p = add("public", cmd_keys_public, "print the plant root and seal certificates (PEM)", ksub)
    p.add_argument("-o", "--output", help="write to a file instead")


# --- end of issue 6 block ----------------------------------------------------------------


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
    _add_signing_commands(sub, add, group)  # issue 6 block
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
    except DriverError as exc:
        if not is_environmental(exc):
            raise
        _err(f"error: {translate(exc, args.database_url)}")
        return BAD_INPUT
    except KeyboardInterrupt:
        _err("interrupted; everything committed so far is kept")
        return 130
