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
from pathlib import Path

from qcstation import config
from qcstation.services.context import Station, connect, open_station
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


def open_for_window(loc: config.Location) -> tuple[Station, config.Location]:
    """The station to work on: a plant server that does not answer means working offline
    on this station's local copy (issue 8), and the window says so."""
    if loc.is_sqlite:
        return open_station(loc), loc
    from dataclasses import replace

    from qcstation.services import sync

    station, online = sync.open_for_work(loc)
    if not online:
        loc = replace(loc, warnings=(*loc.warnings, sync.OFFLINE_NOTICE))
    return station, loc


def main(args: argparse.Namespace) -> int:
    loc = demo_location(args) if args.demo else config.resolve(args.data_dir, args.database_url)
    if args.demo:
        station = open_demo(loc)
    else:
        station, loc = open_for_window(loc)
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
