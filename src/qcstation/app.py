"""Composition root: what `qcstation` (with no command) does.

It resolves where the data is, opens the station (or the demo station, filled on first
use), picks the camera, and starts the window. With no display at all (a server, a CI
machine) the window is rendered offscreen to PNG files instead, so the demo still shows
what it would.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from qcstation import config
from qcstation.services.context import Station, connect
from qcstation.store import schema


def demo_location(args: argparse.Namespace) -> config.Location:
    """--demo uses its own data directory so it never mixes with a station's real data."""
    data_dir = args.data_dir or Path(config.default_data_dir()) / "demo"
    return config.resolve(data_dir, args.database_url)


def open_demo(loc: config.Location) -> Station:
    from qcstation.services import demo  # only the demo needs the demo data generator

    station = connect(loc)
    state, _ = schema.state(station.db.engine)
    summary = demo.fill(station, count=40) if state is schema.SchemaState.EMPTY else None
    summary = summary or demo.summarize(station)
    from qcstation.cli.station import _print_demo

    _print_demo(summary, loc)
    return station


def open_upgrading(loc: config.Location) -> Station:
    """Open the station; after an upgrade of qcstation, back up and migrate its database.

    What happened is printed and, started from a shortcut with no terminal, shown in a box.
    """
    from qcstation.services import upgrades
    from qcstation.services.errors import ServiceError
    from qcstation.store.database import DatabaseError

    def tell(text: str) -> None:
        print(text, file=sys.stderr)
        from qcstation.ui import startup_message

        startup_message.show(text, problem=False)

    try:
        return upgrades.open_upgrading(loc, tell)
    except (DatabaseError, ServiceError) as exc:
        from qcstation.ui import startup_message

        startup_message.show(str(exc), problem=True)
        raise


def main(args: argparse.Namespace) -> int:
    loc = demo_location(args) if args.demo else config.resolve(args.data_dir, args.database_url)
    station = open_demo(loc) if args.demo else open_upgrading(loc)
    from qcstation.ui import application, live_camera

    source = live_camera.demo_feed() if args.demo else live_camera.device_feed()
    try:
        if not application.has_display():
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
            from qcstation.ui import screenshots

            out = loc.data_dir / "screenshots"
            paths = screenshots.render_all(station, loc, out, source)
            print(
                "No display here: rendered the window offscreen instead:\n"
                + "\n".join(f"  {p}" for p in paths),
                file=sys.stderr,
            )
            return 0
        return application.run(station, loc, source)
    finally:
        if source is not None:
            source.stop()
        station.close()


def self_test(say: Callable[[str], None], data_dir: Path | None = None) -> bool:
    """`qcstation --self-test`: the services' checks plus the main window (Qt lives here)."""
    from qcstation.services import selftest

    def main_window(station: Station) -> str:
        # Imported here: a bundle whose Qt cannot load fails this check, not the whole run.
        from qcstation.ui import selftest_window

        return selftest_window.render_main_window(station)

    checks = selftest.run(say, data_dir, extra=(("main window", main_window),))
    return all(c.ok for c in checks)
