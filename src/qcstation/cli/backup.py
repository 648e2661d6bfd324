"""`backup OUT` and `restore IN`: the station's database and evidence in one signed file."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from qcstation.cli._shared import (
    ENV_PASSWORD,
    ENV_ROOT_PASSPHRASE,
    ENV_USER,
    OK,
    PROBLEM,
    _location,
    _login,
    _out,
    _password,
    _secret,
    _user_opt,
)
from qcstation.services.context import open_station


def cmd_backup(args: argparse.Namespace) -> int:
    from qcstation.services import backup

    station = open_station(_location(args))
    try:
        result = backup.backup(station, _login(station, args), Path(args.out))
    finally:
        station.close()
    _out(
        f"Backed up the {result.database} database and {result.evidence_files} evidence "
        f"files to {result.path} ({result.size / 1e6:.1f} MB), signed by {result.signer}; "
        f"the audit trail up to entry #{result.head[0]}."
    )
    _out(
        f"Manifest SHA-256 {result.manifest_sha256}; check it any time with "
        f"`qcstation restore --check {result.path}`."
    )
    return OK


def _given(args: argparse.Namespace) -> frozenset[str]:
    from qcstation.services.backup_archive import given_roots

    return given_roots(args.root_fingerprint or [], [Path(p) for p in args.trust or []])


def cmd_restore(args: argparse.Namespace) -> int:
    from qcstation.services import backup_verify, restore
    from qcstation.services.backup_archive import describe, pretty

    archive = Path(args.archive)
    given = _given(args)
    loc = _location(args)
    if args.check:
        checked, untrusted = backup_verify.verify_archive(archive, loc, given)
        if untrusted:
            _out(f"{archive}: the signature and every file match the manifest. It is {untrusted}.")
            return PROBLEM
        _out(
            f"{archive}: signed by {checked.signer} under the plant root "
            f"{pretty(checked.root_sha256)[:19]}… ({checked.trusted_as}); every file matches "
            f"the manifest — {describe(checked)}."
        )
        return OK
    result = restore.restore(loc, archive, args.force, _credentials(args), given)
    for warning in result.warnings:
        _out(f"note: {warning}")
    _out(
        f"Restored the {result.database} database and {result.evidence_files} evidence files "
        f"(backup made {result.created_at} by {result.made_by}) into {loc.data_dir}; its "
        "signature and every file were checked first."
    )
    if result.safety_copy is not None:
        how = (
            f"to undo, `qcstation restore {result.safety_copy} --force --user NAME`"
            if result.safety_copy.is_file()
            else "it could not be read, so it is kept byte for byte"
        )
        _out(f"What it replaced is kept in {result.safety_copy} ({how}).")
    if result.recorded_by is not None:
        before = f"from entry #{result.replaced_head[0]} " if result.replaced_head else ""
        _out(
            f"The audit trail went {before}back to the backup's; the restore is entry "
            f"#{result.restored_head[0]}, signed by {result.recorded_by}, and is noted in this "
            "station's anchor file: `qcstation audit verify` reports it as this restore."
        )
    return OK


def _credentials(args: argparse.Namespace) -> Any:
    from qcstation.services.restore_authority import Credentials

    if not args.force:
        return Credentials()
    name = args.user or os.environ.get(ENV_USER)
    root = _secret(ENV_ROOT_PASSPHRASE, "Plant root passphrase: ") if args.root_passphrase else None
    if not name and not root:
        return Credentials()  # the service says what is needed, after checking the backup
    password = (
        _password(f"Password for {name} (an administrator of this station): ") if name else None
    )
    return Credentials(name, password, root)


def register(add: Any, group: Any) -> None:
    p = add(
        "backup",
        cmd_backup,
        "write the database, evidence files and a signed manifest of their hashes to one file",
    )
    p.add_argument("out", metavar="OUT", help="the backup file to create (e.g. plant.qcbackup)")
    _user_opt(p)
    p = add(
        "restore",
        cmd_restore,
        "check a backup's signature and files, then restore it (over data: an administrator "
        "of that data, with a safety copy)",
    )
    p.add_argument("archive", metavar="IN", help="a file made by `qcstation backup`")
    p.add_argument(
        "--force",
        action="store_true",
        help="replace the data there (needs --user NAME, an administrator of it, or "
        "--root-passphrase when it cannot be read); what it replaces is kept first",
    )
    p.add_argument(
        "--user",
        help=f"the administrator of the data being replaced (env {ENV_USER}); password from "
        f"a prompt or {ENV_PASSWORD}",
    )
    p.add_argument(
        "--root-passphrase",
        action="store_true",
        help=f"authorise with the plant root passphrase (prompted, or {ENV_ROOT_PASSPHRASE})",
    )
    p.add_argument(
        "--root-fingerprint",
        action="append",
        metavar="FP",
        help="on a new machine: the plant root's SHA-256 as `qcstation keys public` prints it",
    )
    p.add_argument(
        "--trust",
        action="append",
        metavar="ROOT.pem",
        help="on a new machine: the plant root certificate (`qcstation keys public -o FILE`)",
    )
    p.add_argument("--check", action="store_true", help="only check the backup; restore nothing")
