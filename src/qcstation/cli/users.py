"""`users`: who may sign in, who is locked out, and the way back in for a locked administrator."""

from __future__ import annotations

import argparse
import os
from typing import Any

from qcstation.cli._shared import OK, UsageError, _location, _login, _out, _password, _table
from qcstation.services import accounts
from qcstation.services.context import open_station

ENV_ROOT = "QCSTATION_ROOT_PASSPHRASE"


def cmd_users_list(args: argparse.Namespace) -> int:
    station = open_station(_location(args))
    try:
        rows = [
            (
                u.username,
                u.full_name,
                u.role.value,
                "active" if u.active else "disabled",
                "locked" if accounts.is_locked(station, u.username) else "",
            )
            for u in accounts.list_users(station)
        ]
    finally:
        station.close()
    _table(["user", "name", "role", "state", ""], rows)
    return OK


def cmd_users_unlock(args: argparse.Namespace) -> int:
    station = open_station(_location(args))
    try:
        if args.root_passphrase:
            # The way back when no administrator can sign in: whoever holds the plant root.
            secret = os.environ.get(ENV_ROOT) or _password("Plant root passphrase: ")
            accounts.unlock_with_root(station, args.username, secret)
            how = "with the plant root passphrase"
        else:
            if not (args.user or os.environ.get("QCSTATION_USER")):
                raise UsageError(
                    "name the administrator who unlocks with --user NAME, or pass "
                    "--root-passphrase when no administrator can sign in"
                )
            accounts.unlock(station, _login(station, args), args.username)
            how = "by an administrator"
    finally:
        station.close()
    _out(f"{args.username} can sign in again (unlocked {how}; recorded in the audit trail).")
    return OK


def cmd_users_role(args: argparse.Namespace) -> int:
    from qcstation.domain.users import Role

    station = open_station(_location(args))
    try:
        admin = _login(station, args)
        secret = (
            (os.environ.get(ENV_ROOT) or _password("Plant root passphrase: "))
            if (args.root_passphrase)
            else None
        )
        done = accounts.set_role(station, admin, args.username, Role(args.role), secret)
    finally:
        station.close()
    _out(f"{args.username} is now {done.user.role.value} (recorded in the audit trail).")
    if done.handed:
        _out(
            f"  {args.username}'s key holds the plant's document key and seal: they issue documents"
        )
    if done.note:
        _out(f"  {done.note}")
    return OK


def register(add: Any, group: Any) -> None:
    sub = group("users", "who may sign in")
    add("list", cmd_users_list, "users, their roles, and who is locked out", sub)
    p = add(
        "unlock",
        cmd_users_unlock,
        "unlock an account locked after wrong passwords (an administrator, or the plant root)",
        sub,
    )
    p.add_argument("username")
    p.add_argument("--user", help="the administrator who unlocks (or QCSTATION_USER)")
    p.add_argument(
        "--root-passphrase",
        action="store_true",
        help=f"unlock with the plant root passphrase (prompted, or {ENV_ROOT})",
    )
    p = add(
        "role",
        cmd_users_role,
        "change a user's role; a supervisor or administrator receives the plant's document "
        "key and seal, anyone else gives them back",
        sub,
    )
    p.add_argument("username")
    p.add_argument("role", choices=["inspector", "supervisor", "admin"])
    p.add_argument("--user", help="the administrator who changes it (or QCSTATION_USER)")
    p.add_argument(
        "--root-passphrase",
        action="store_true",
        help="hand over (or rotate) the plant keys with the root passphrase "
        f"(prompted, or {ENV_ROOT})",
    )
