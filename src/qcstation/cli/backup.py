"""`backup OUT` and `restore IN`: the station's database and evidence in one checked file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from qcstation.cli._shared import OK, _location, _login, _out, _user_opt
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
        f"files to {result.path} ({result.size / 1e6:.1f} MB)."
    )
    _out(
        f"Manifest SHA-256 {result.manifest_sha256}; check it any time with "
        f"`qcstation restore --check {result.path}`."
    )
    return OK


def cmd_restore(args: argparse.Namespace) -> int:
    from qcstation.services import backup

    archive = Path(args.archive)
    if args.check:
        manifest = backup.verify_archive(archive)
        _out(f"{archive}: every file matches the manifest — {backup.describe(manifest)}.")
        return OK
    loc = _location(args)
    result = backup.restore(loc, archive, overwrite=args.force)
    for warning in result.warnings:
        _out(f"note: {warning}")
    _out(
        f"Restored the {result.database} database and {result.evidence_files} evidence files "
        f"(backup made {result.created_at}) into {loc.data_dir}; every file was checked "
        "against the manifest first."
    )
    return OK


def register(add: Any, group: Any) -> None:
    p = add(
        "backup",
        cmd_backup,
        "write the database, evidence files and a manifest of their hashes to one file",
    )
    p.add_argument("out", metavar="OUT", help="the backup file to create (e.g. plant.qcbackup)")
    _user_opt(p)
    p = add(
        "restore",
        cmd_restore,
        "check a backup against its manifest, then restore it into an empty station",
    )
    p.add_argument("archive", metavar="IN", help="a file made by `qcstation backup`")
    p.add_argument(
        "--force",
        action="store_true",
        help="replace an existing SQLite database and add to its evidence folder",
    )
    p.add_argument("--check", action="store_true", help="only check the backup; restore nothing")
