"""Commands for a station of a plant server: where its secrets are kept (`secrets`), and
the plant database's least-privilege roles (`db roles`, registered with the db group)."""

from __future__ import annotations

import argparse
from typing import Any

from qcstation.cli._shared import OK, PROBLEM, UsageError, _err, _location, _out, _secret

ENV_DATABASE_PASSWORD = "QCSTATION_DATABASE_PASSWORD"


def cmd_secrets_status(args: argparse.Namespace) -> int:
    from qcstation.services import station_secrets

    report = station_secrets.status(_location(args))
    for line in report.lines():
        _out(line)
    for problem in report.problems:
        _err(f"problem: {problem}")
    return PROBLEM if report.problems else OK


def cmd_secrets_use(args: argparse.Namespace) -> int:
    from qcstation.services import station_secrets

    loc = _location(args)
    _settings, moved = station_secrets.use(loc, args.kind)
    after = station_secrets.status(_location(args))
    _out(f"This station's secrets are kept in {after.where} from now on.")
    for name in moved:
        _out(f"  moved {name}")
    return OK


def cmd_secrets_set_db_password(args: argparse.Namespace) -> int:
    from qcstation.services import station_secrets

    loc = _location(args)
    if loc.is_sqlite:
        raise UsageError("this station has no plant database: set one with --database-url")
    password = _secret(ENV_DATABASE_PASSWORD, f"Password for {loc.database_url}: ")
    if not password:
        raise UsageError("an empty password was given; nothing was kept")
    where = station_secrets.set_database_password(loc, password)
    _out(f"The plant database password is kept in {where}.")
    return OK


def register(add: Any, group: Any) -> None:
    sub = group("secrets", "where this station keeps its key and the plant database password")
    add("status", cmd_secrets_status, "say where the secrets are kept and what is kept", sub)
    p = add(
        "use",
        cmd_secrets_use,
        "keep the secrets in the OS keyring or in a file only this account reads (moving "
        "what is kept already)",
        sub,
    )
    p.add_argument("kind", choices=["keyring", "file"])
    add(
        "set-db-password",
        cmd_secrets_set_db_password,
        "keep the plant database password for this station's URL (prompt, or "
        f"{ENV_DATABASE_PASSWORD})",
        sub,
    )
