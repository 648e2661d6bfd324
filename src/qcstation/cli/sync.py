"""`sync`: deliver an offline station's completed inspections to the plant server (exactly
once) and refresh its copy of users, checklists and the defect catalog."""

from __future__ import annotations

import argparse
from typing import Any

from qcstation.cli._shared import OK, PROBLEM, UsageError, _err, _location, _login, _out


def cmd_sync(args: argparse.Namespace) -> int:
    from qcstation.services import offline_copy, sync

    loc = _location(args)
    if loc.is_sqlite:
        raise UsageError(
            "this station keeps its data in its own SQLite file, there is no server to sync "
            "with; a station of a plant server is set up with `qcstation init --database-url`"
        )
    local = offline_copy.open_local(loc)
    try:
        queued = offline_copy.queue(local)
        if args.status:
            _out(f"{offline_copy.waiting(local)} completed inspection(s) wait in the outbox.")
            for _record_id, why in offline_copy.refused(local):
                _out(f"  set aside: {why}")
            return OK
        server = sync.open_server(loc, local)
        try:
            # Whoever syncs signs what arrives on the server and the copy made here.
            result = sync.sync(server, local, _login(server, args))
        finally:
            server.close()
    finally:
        local.close()
    _out(
        f"Delivered {result.sent} inspection(s) to the server"
        + (f" ({result.already} were there already)" if result.already else "")
        + f"; {queued} newly queued, {result.waiting} still waiting."
    )
    _out(f"Refreshed {result.pulled} users, checklists and catalog entries from the server.")
    for record_id, why in result.refused:
        _err(f"the server refused inspection {record_id}: {why}; it is set aside in the outbox")
    return PROBLEM if result.refused else OK


def register(add: Any, group: Any) -> None:
    p = add(
        "sync",
        cmd_sync,
        "send completed offline inspections to the plant server, exactly once, and refresh "
        "this station's copy of users and checklists",
    )
    p.add_argument("--status", action="store_true", help="only say how many are waiting")
    p.add_argument("--user", help="who syncs (signs what is delivered); or QCSTATION_USER")
