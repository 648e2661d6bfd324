"""Composition root: what `qcstation` with no command does."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qcstation import config
from qcstation.services import demo
from qcstation.services.context import connect


def demo_location(args: argparse.Namespace) -> config.Location:
    """--demo uses its own data directory so it never mixes with a station's real data."""
    data_dir = args.data_dir or Path(config.default_data_dir()) / "demo"
    return config.resolve(data_dir, args.database_url)


def main(args: argparse.Namespace) -> int:
    if not args.demo:
        print(
            "qcstation: the inspector's window is not in this build yet; use the commands "
            "(`qcstation --help`), or `qcstation --demo` to see demo data.",
            file=sys.stderr,
        )
        return 2
    loc = demo_location(args)
    station = connect(loc)
    try:
        summary = demo.fill(station, count=40) if _empty(station) else demo.summarize(station)
        if not summary.users:
            summary = demo.summarize(station)
    finally:
        station.close()
    from qcstation.cli import _print_demo

    _print_demo(summary, loc)
    return 0


def _empty(station: object) -> bool:
    from qcstation.store import schema

    assert hasattr(station, "db")
    st, _ = schema.state(station.db.engine)
    return st is schema.SchemaState.EMPTY
