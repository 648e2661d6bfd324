"""Commands for a station of a plant server: where its secrets are kept (`secrets`), and
the plant database's least-privilege roles (`db roles`, registered with the db group)."""

from __future__ import annotations

import argparse
from typing import Any

from qcstation.cli._shared import (
    ENV_ROOT_PASSPHRASE,
    OK,
    PROBLEM,
    UsageError,
    _err,
    _location,
    _login,
    _out,
    _secret,
    _user_opt,
)

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


def cmd_db_roles(args: argparse.Namespace) -> int:
    from qcstation.services import plant_roles, station_secrets
    from qcstation.services.context import open_station

    loc = _location(args)
    names = list(dict.fromkeys(args.station or []))
    # A bench not set up yet (no name in its settings) is the one station named.
    named_here = "station_name" in loc.settings.model_fields_set
    here = loc.settings.station_name if named_here or len(names) != 1 else names[0]
    others = [n for n in names if n != here]
    if others and not args.show_password:
        raise UsageError(
            f"{', '.join(others)} is not this station ({here!r}): its new password would have "
            "to be shown to be carried there; add --show-password, or run this command on "
            "that station"
        )
    station = open_station(loc)
    try:
        result = plant_roles.grant(station.db, args.group)
        logins = [(n, *plant_roles.create_login(station.db, n, args.group)) for n in names]
    finally:
        station.close()
    _out(
        f"Role {result.group!r} may now do what a station does on the {result.tables} tables "
        f"of schema {result.schema!r}, and nothing more."
    )
    for table in result.unknown:
        _err(
            f"warning: table {table!r} is not one qcstation knows: {result.group} may only read it"
        )
    for name, role, password, url in logins:
        if name == here:
            where = station_secrets.switch_login(loc, url, password, name)
            _out(
                f"This station ({name!r}) now connects as {role}; its password is kept in {where}."
            )
        else:
            _out(f"Station {name!r} connects as {role} with the password {password}")
            _out(
                f"  on that station: qcstation secrets set-db-password, and its database URL {url}"
            )
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


def register_roles(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--station",
        action="append",
        metavar="NAME",
        help="make (or give a new password to) this station's own login; repeatable. This "
        "station's is saved here (URL in settings, password in the secret store)",
    )
    p.add_argument(
        "--group",
        default="qcstation_station",
        help="the stations' group role (default %(default)s)",
    )
    p.add_argument(
        "--show-password",
        action="store_true",
        help="print the new password of a station other than this one, to carry it there",
    )


def cmd_keys_station(args: argparse.Namespace) -> int:
    import os

    from qcstation.services import station_keys
    from qcstation.services.context import open_station

    loc = _location(args)
    if loc.is_sqlite and not args.revoke:
        raise UsageError("a station with its own SQLite file sends nothing: it needs no key")
    station = open_station(loc)
    try:
        admin = _login(station, args)
        if args.revoke:
            if not args.reason:
                raise UsageError("say why with --reason (it is kept in the audit trail)")
            n = station_keys.revoke(station, admin, args.revoke, args.reason)
            _out(f"Revoked {n} key(s) of station {args.revoke!r}: what it sends is refused.")
            return OK
        passphrase = os.environ.get(ENV_ROOT_PASSPHRASE)
        made = station_keys.create(station, admin, passphrase)
    finally:
        station.close()
    _out(f"Station {made.station!r} has a new key {made.key_id[:16]}…, kept in its secret store.")
    if not made.certified:
        _out("It waits for the plant root's certificate: `qcstation keys issue` (administrators).")
    return OK


def register_station_key(add: Any, keys_group: Any) -> None:
    p = add(
        "station",
        cmd_keys_station,
        "make (or renew) this station's own key, which signs what its outbox sends; with "
        "--revoke NAME, revoke a station's keys",
        keys_group,
    )
    p.add_argument("--revoke", metavar="NAME", help="the station whose keys to revoke")
    p.add_argument("--reason", help="why (with --revoke)")
    _user_opt(p)
