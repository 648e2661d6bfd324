"""What every command shares: output, the data location, passwords, usage errors."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from qcstation import config
from qcstation.domain.records import normalize
from qcstation.domain.users import User
from qcstation.services import accounts
from qcstation.services.context import Station, open_if_set_up
from qcstation.services.errors import ServiceError

OK, PROBLEM, BAD_INPUT = 0, 1, 2
ENV_USER = "QCSTATION_USER"
ENV_PASSWORD = "QCSTATION_PASSWORD"


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


def _jsonable(value: Any) -> Any:
    return normalize(value)


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _whole(what: str, low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from low to high, or a message saying so (an
    unbounded int reached the database as an OverflowError)."""

    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= n <= high:
            raise argparse.ArgumentTypeError(
                f"{text!r} is out of range: {what} from {low} to {high}"
            )
        return n

    parse.__name__ = what  # argparse names the type in its own messages
    return parse


MAX_ID = 2**63 - 1  # the largest integer a database column holds
_count = _whole("a count", 1, 1_000_000)
_id = _whole("an id", 1, MAX_ID)
_version = _whole("a version", 1, MAX_ID)


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


def _station_if_any(args: argparse.Namespace) -> Station | None:
    """The station database when one is set up here; None (offline checks) otherwise."""
    station, why_not = open_if_set_up(_location(args))
    if station is None:
        _err(f"note: {why_not}; checking signatures only")
    return station


def _user_opt(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--user",
        help=f"who makes the change (env {ENV_USER}); password from a prompt or {ENV_PASSWORD}",
    )


def _missing(p: argparse.ArgumentParser) -> int:
    p.print_help(sys.stderr)
    return BAD_INPUT
