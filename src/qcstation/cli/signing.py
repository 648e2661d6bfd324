"""Signed reports, certificates, signatures and keys: `sign`, `correct`, `report export`,
`certificate export`, `verify`, and the `keys` group."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qcstation.services.context import open_station

if TYPE_CHECKING:
    pass

from qcstation.cli._shared import (
    ENV_P12_PASSPHRASE,
    ENV_ROOT_PASSPHRASE,
    OK,
    PROBLEM,
    UsageError,
    _location,
    _login,
    _named_user,
    _out,
    _secret,
    _station_if_any,
    _table,
    _user_opt,
)


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

    station = open_station(_location(args))
    try:
        user, password = _named_user(station, args)
        if args.reissue:
            e = documents.reissue_certificate(
                station, user, password, args.id, args.reason or "", Path(args.output), args.size
            )
        else:
            e = documents.export_certificate(
                station, user, password, args.id, Path(args.output), args.size
            )
    finally:
        station.close()
    _out(f"certificate {e.number} -> {e.path}")
    if e.supersedes:
        _out(
            f"  it supersedes certificate {e.supersedes}, which verifies as superseded from now on"
        )
    return OK


def cmd_certificate_reissue(args: argparse.Namespace) -> int:
    args.reissue = True
    return cmd_certificate_export(args)


def cmd_certificate_issue(args: argparse.Namespace) -> int:
    args.reissue = False
    return cmd_certificate_export(args)


def cmd_verify(args: argparse.Namespace) -> int:
    from qcstation.services import verify

    if bool(args.qr) == bool(args.file):
        raise UsageError("give a PDF file, or --qr PAYLOAD_OR_IMAGE")
    station = _station_if_any(args)
    pattern = _location(args).settings.certificate_verify_url
    try:
        if args.qr:
            result = verify.verify_qr(args.qr, station, [Path(p) for p in args.public_key], pattern)
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
        warnings = keys.warnings(station)
    finally:
        station.close()
    _table(
        ("kind", "user", "status", "since", "algorithm", "origin", "issues", "key id", "subject"),
        [
            (
                k.kind,
                k.username or "",
                k.status.value,
                f"{(k.revoked_at or k.retired_at):%Y-%m-%d}"
                if k.revoked_at or k.retired_at
                else "",
                k.algorithm,
                k.origin,
                "yes" if k.can_seal else "",
                k.key_id[:16],
                k.subject,
            )
            for k in rows
        ],
    )
    _out("(issues: the key holds the plant's document key and seal: it issues documents)")
    for warning in warnings:
        _out(f"WARNING: {warning}")
    return OK


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    from qcstation.services import keys

    station = open_station(_location(args))
    try:
        admin = _login(station, args)
        passphrase = _secret(ENV_ROOT_PASSPHRASE, "Root passphrase: ")
        done = keys.rotate(station, admin, passphrase)
    finally:
        station.close()
    for key_id in done.retired:
        _out(f"retired {key_id[:16]}: what it signed before stays valid, nothing after")
    _out(
        f"new certificate seal {done.seal_key_id[:16]}, "
        f"new document key {done.document_key_id[:16]}"
    )
    _out(
        f"handed to {done.wraps // 2} supervisor(s) and administrator(s); give customers and "
        "auditors the new public keys file (`qcstation keys public -o FILE`)"
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
        waiting = keys.pending(station)
        if not waiting:
            _out("No key waits to be issued.")
            return OK
        chosen = _approved(waiting, args)
        done = keys.issue_pending(station, admin, passphrase, chosen) if chosen else []
    finally:
        station.close()
    for k in done:
        _out(f"issued {k.username}: {k.subject} (key {k.key_id[:16]})")
    _out(f"{len(done)} key(s) issued, {len(waiting) - len(done)} left waiting")
    return OK


def _approved(waiting: list[Any], args: argparse.Namespace) -> list[str]:
    """Show each waiting key with what issuing it vouches for, and take the ones the
    administrator approves: named with --approve, all with --all, or one by one at a prompt."""
    for k in waiting:
        _out(f"{k.username} ({k.full_name}, {k.role}): {k.origin} key {k.key_id}")
        _out(f"    subject {k.subject}" + (f"; issued by {k.issuer}" if k.issuer else ""))
        _out(f"    made {k.created_at:%Y-%m-%d %H:%M} UTC by {k.created_by}")
    if args.all:
        return [k.key_id for k in waiting]
    if args.approve:
        known = {a.lower() for a in args.approve}
        unknown = [a for a in known if not any(k.key_id.startswith(a) for k in waiting)]
        if unknown:
            raise UsageError(f"no waiting key has the fingerprint {', '.join(sorted(unknown))}")
        return sorted(known)
    if not sys.stdin.isatty():
        raise UsageError(
            "compare each fingerprint with its owner's, then name the ones to issue with "
            "--approve FINGERPRINT (repeatable), or --all"
        )
    return [
        k.key_id
        for k in waiting
        if input(f"Issue {k.username}'s key {k.key_id[:16]}…? [y/N] ").strip().lower() == "y"
    ]


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
        admin = _login(station, args)
        passphrase = (
            _secret(ENV_ROOT_PASSPHRASE, "Root passphrase: ") if args.root_passphrase else None
        )
        done = keys.revoke(station, admin, args.username, args.reason, passphrase)
    finally:
        station.close()
    _out(("WARNING: " if done.held and not done.rotated else "") + done.describe(args.username))
    return OK


def cmd_keys_public(args: argparse.Namespace) -> int:
    from qcstation.services import audit, keys

    station = open_station(_location(args))
    try:
        pem = keys.plant_certificates(station)
        fingerprint = audit.pin(station) or ""
    finally:
        station.close()
    pretty = ":".join(fingerprint[i : i + 4] for i in range(0, len(fingerprint), 4))
    if args.output:
        Path(args.output).write_text(pem, "ascii")
        _out(f"plant public keys (root, seals, document keys, with their state) -> {args.output}")
        _out(f"plant root SHA-256 {pretty}")
        _out("  (auditors check a trail against it: `audit verify --root-fingerprint`)")
    else:
        sys.stdout.write(pem)
        sys.stderr.write(f"plant root SHA-256 {pretty}\n")
    return OK


def register(add: Any, group: Any) -> None:
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
    p = add(
        "export",
        cmd_certificate_issue,
        "issue (or print again) the customer certificate; its claims come from the record",
        csub,
    )
    p.add_argument("id", help="inspection ID")
    p.add_argument("-o", "--output", required=True, help="the PDF file")
    p.add_argument("--size", choices=["a4", "letter", "card"], help="default: settings paper")
    _user_opt(p)
    p = add(
        "reissue",
        cmd_certificate_reissue,
        "a new certificate with a new number, superseding the one in force",
        csub,
    )
    p.add_argument("id", help="inspection ID")
    p.add_argument("--reason", required=True, help="why it is reissued (kept with it)")
    p.add_argument("-o", "--output", required=True, help="the PDF file")
    p.add_argument("--size", choices=["a4", "letter", "card"], help="default: settings paper")
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
        "issue pending certificates, each shown with what it vouches for (root passphrase "
        f"from {ENV_ROOT_PASSPHRASE} or a prompt)",
        ksub,
    )
    _user_opt(p)
    p.add_argument(
        "--approve",
        action="append",
        metavar="FINGERPRINT",
        help="issue the key with this fingerprint (its first 16 hex digits at least); repeatable",
    )
    p.add_argument("--all", action="store_true", help="issue every waiting key shown")
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
    p.add_argument(
        "--root-passphrase",
        action="store_true",
        help="when the user held the plant's document key and seal, rotate them at once "
        f"(the passphrase from {ENV_ROOT_PASSPHRASE} or a prompt)",
    )
    _user_opt(p)
    from qcstation.cli.plantdb import register_station_key

    register_station_key(add, ksub)
    p = add(
        "rotate",
        cmd_keys_rotate,
        "a new certificate seal and plant document key for supervisors and administrators; "
        "the old ones are retired",
        ksub,
    )
    p.add_argument(
        "--root-passphrase",
        action="store_true",
        help=f"(always needed) the passphrase from {ENV_ROOT_PASSPHRASE} or a prompt",
    )
    _user_opt(p)
    p = add(
        "public",
        cmd_keys_public,
        "print the plant's public keys: root, seals and document keys with their state (PEM)",
        ksub,
    )
    p.add_argument("-o", "--output", help="write to a file instead")
