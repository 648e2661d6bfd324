"""Composition root: what `qcstation` (with no command) does.

With a display, the sign-in form shows at once (ui/boot.py) while this module opens the
station (or the demo station, filled on first use) and the camera on a background thread.
With no display at all (a server, a CI machine) the window is rendered offscreen to PNG
files instead, so the demo still shows what it would.

Imports stay inside the functions: the window must not wait for the database stack.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qcstation import config
    from qcstation.services.context import Station
    from qcstation.ui.boot import Opened
    from qcstation.ui.main_window import MainWindow


def data_dir_of(args: argparse.Namespace) -> Path:
    from qcstation.paths import choose_data_dir

    return choose_data_dir(args.data_dir, demo=args.demo)


def location(args: argparse.Namespace) -> config.Location:
    from qcstation import config

    return config.resolve(data_dir_of(args), args.database_url)


def open_demo(loc: config.Location) -> Station:
    from qcstation.services import demo  # only the demo needs the demo data generator
    from qcstation.services.context import connect

    station = connect(loc)
    for line in demo.fill_if_empty(station, count=40).lines(loc.data_dir):
        print(line, flush=True)
    return station


def open_upgrading(loc: config.Location, notes: list[str] | None = None) -> Station:
    """Open the station; on the first start after an upgrade of qcstation, back up and
    migrate its database first (services/upgrades.py). What happened is printed and kept
    in notes for the window to show; a failed upgrade raises, saying it was rolled back."""
    from qcstation.services import upgrades

    def tell(text: str) -> None:
        print(text, file=sys.stderr, flush=True)
        if notes is not None:
            notes.append(text)

    return upgrades.open_upgrading(loc, tell)


def open_for_window(
    loc: config.Location, notes: list[str] | None = None
) -> tuple[Station, config.Location]:
    """The station to work on. A station's own SQLite file is upgraded first when needed;
    a plant server that does not answer means working offline on this station's local
    copy (services/offline_copy.py), and the window says so."""
    if loc.is_sqlite:
        return open_upgrading(loc, notes), loc
    from dataclasses import replace

    from qcstation.services import offline_copy

    station, online = offline_copy.open_for_work(loc)
    if not online:
        loc = replace(loc, warnings=(*loc.warnings, offline_copy.OFFLINE_NOTICE))
    return station, loc


def open_everything(args: argparse.Namespace) -> Opened:
    """The station, its location and the camera: the slow part of starting."""
    from qcstation import logs
    from qcstation.services.context import shown_url
    from qcstation.ui import live_camera
    from qcstation.ui.boot import Opened

    loc = location(args)
    notes: list[str] = []
    crashed = logs.crash_note(logs.current())  # the run before this one did not end well
    if crashed is not None:
        notes.append(crashed)
    if args.demo:
        station = open_demo(loc)
    else:
        station, loc = open_for_window(loc, notes)
    logs.log.info("station %r opened: %s", station.name, shown_url(station.db.url))
    try:
        source = live_camera.demo_feed() if args.demo else live_camera.device_feed(loc.settings)
        import qcstation.ui.application  # noqa: F401  # the pages, loaded off the GUI thread
    except BaseException:
        station.close()
        raise
    return Opened(station, loc, source, tuple(notes))


def main(args: argparse.Namespace) -> int:
    from qcstation.paths import ENV_DATABASE_URL
    from qcstation.ui import boot

    if boot.has_display():
        data_dir = data_dir_of(args)
        url = args.database_url or os.environ.get(ENV_DATABASE_URL)
        return boot.run(
            lambda: open_everything(args),
            boot.peek_appearance(data_dir),
            url,
            before_exec=show_demo_logins if args.demo else None,
        )
    if not args.demo:
        print(
            "qcstation: no display to open the window on (neither DISPLAY nor "
            "WAYLAND_DISPLAY is set). Start it on the bench's desktop; `qcstation --demo` "
            "renders the demo's window to PNG files on a machine with no display.",
            file=sys.stderr,
        )
        return 2
    return render_offscreen(args)


def show_demo_logins(window: MainWindow) -> None:
    from qcstation.services import demo

    window.login.show_demo_logins(demo.logins())


def render_offscreen(args: argparse.Namespace) -> int:
    """The demo's window, rendered to PNG files in the demo directory. The pictures are
    taken on a throwaway copy of the demo station: walking the window through its screens
    starts an inspection, logs a defect and signs, and none of that may land in the demo
    the person opens later."""
    import shutil
    import tempfile

    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from qcstation import config
    from qcstation.services.context import connect
    from qcstation.ui import screenshots

    screenshots.quiet_offscreen()
    opened = open_everything(args)
    data_dir = opened.location.data_dir
    opened.station.close()
    out = data_dir / "screenshots"
    try:
        with tempfile.TemporaryDirectory(prefix="qcstation-demo-shots-") as tmp:
            copy = Path(tmp) / "demo"
            shutil.copytree(data_dir, copy, ignore=shutil.ignore_patterns("screenshots"))
            loc = config.resolve(copy)
            station = connect(loc)
            try:
                paths = screenshots.render_all(station, loc, out, opened.source)
            finally:
                station.close()
        print(
            "No display here: rendered the window offscreen instead:\n"
            + "\n".join(f"  {p}" for p in paths),
            file=sys.stderr,
        )
        return 0
    finally:
        if opened.source is not None:
            opened.source.stop()


def self_test(say: Callable[[str], None], data_dir: Path | None = None) -> bool:
    """`qcstation --self-test`: the services' checks plus the main window (Qt lives here)."""
    from qcstation.services import selftest

    def main_window(station: Station) -> str:
        # Imported here: a bundle whose Qt cannot load fails this check, not the whole run.
        from qcstation.ui import selftest_window

        return selftest_window.render_main_window(station)

    checks = selftest.run(say, data_dir, extra=(("main window", main_window),))
    return all(c.ok for c in checks)
