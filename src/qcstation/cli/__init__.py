"""The command line: a second face over the same services the window uses.

Exit codes: 0 ok; 1 a check found a problem (audit verify, db check); 2 bad usage or
bad input, with a message naming what and where. Expected problems never print a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from qcstation import __version__
from qcstation.paths import ENV_DATA_DIR, ENV_DATABASE_URL

if TYPE_CHECKING:
    from types import ModuleType

BAD_INPUT = 2


def commands() -> tuple[ModuleType, ...]:
    """Each module adds its commands; the order here is the order of `qcstation --help`.
    Imported only when a command is asked for: a plain `qcstation` opens the window
    without loading them (see main)."""
    from qcstation.cli import (
        backup,
        dashboard,
        instruments,
        logs,
        lots,
        plantdb,
        quality,
        sampling,
        signing,
        specs,
        station,
        sync,
        users,
    )

    return (
        station,
        users,
        sampling,
        signing,
        quality,
        lots,
        specs,
        dashboard,
        backup,
        sync,
        plantdb,
        instruments,
        logs,
    )


def _common() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument(
        "--data-dir",
        default=argparse.SUPPRESS,
        help=f"where this station keeps its data (env {ENV_DATA_DIR})",
    )
    p.add_argument(
        "--database-url",
        default=argparse.SUPPRESS,
        help=f"PostgreSQL URL of a plant database (env {ENV_DATABASE_URL})",
    )
    return p


def _top_parser(common: argparse.ArgumentParser, add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qcstation",
        description="Quality inspection station for jewelry manufacturing.",
        parents=[common],
        add_help=add_help,
    )
    parser.add_argument("--version", action="version", version=f"qcstation {__version__}")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open on demo data with demo users (a demo data directory unless --data-dir is given)",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation end to end on a temporary data directory",
    )
    parser.set_defaults(func=open_window)
    return parser


def build_parser() -> argparse.ArgumentParser:
    from qcstation.cli._shared import _missing

    common = _common()
    parser = _top_parser(common)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    def add(
        name: str, func: Callable[[argparse.Namespace], int], help: str, parent: Any = sub
    ) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = parent.add_parser(
            name, help=help, description=help, parents=[common]
        )
        p.set_defaults(func=func)
        return p

    def group(name: str, help: str) -> Any:
        p = add(name, lambda _args: _missing(p), help)
        return p.add_subparsers(metavar="ACTION")

    for module in commands():
        module.register(add, group)
    return parser


def open_window(args: argparse.Namespace) -> int:
    from qcstation import app

    return app.main(args)


def window_args(argv: Sequence[str]) -> argparse.Namespace | None:
    """The arguments of a plain `qcstation [--demo] [--data-dir D] [--database-url U]`,
    parsed without importing any command (the window shows sooner); None for anything else."""
    if "-h" in argv or "--help" in argv:
        return None
    args, rest = _top_parser(_common(), add_help=False).parse_known_args(argv)
    return None if rest or args.self_test else args


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = window_args(argv)
    if args is None:
        args = build_parser().parse_args(argv)
    for name in ("data_dir", "database_url"):
        if not hasattr(args, name):
            setattr(args, name, None)
    if getattr(args, "self_test", False):
        from qcstation.cli.station import cmd_self_test

        args.func = cmd_self_test
    from qcstation import logs
    from qcstation.services.private_files import only_mine

    try:
        with only_mine():  # everything a command or the window creates: this account's only
            _start_logging(args)
            return int(args.func(args))
    except KeyboardInterrupt:
        print("qcstation: interrupted; everything committed so far is kept", file=sys.stderr)
        return 130
    except Exception as exc:
        return explain(exc, args)
    finally:
        logs.end()


def _start_logging(args: argparse.Namespace) -> None:
    """The log of this run, in the data directory it works on. The window collects what
    earlier runs left (app.py tells about it); the self-test has a directory of its own
    and leaves the station's alone."""
    from qcstation import logs
    from qcstation.paths import choose_data_dir

    if getattr(args, "self_test", False):
        return
    window = args.func is open_window
    data_dir = choose_data_dir(args.data_dir, demo=window and args.demo)
    logs.start(data_dir, "window" if window else "command", collect_crashes=window)
    logs.log.info("running %s", getattr(args.func, "__name__", "a command"))


def explain(exc: Exception, args: argparse.Namespace) -> int:
    """Errors a person can act on: the message, exit 2, no traceback. Anything else is a bug
    and goes on up with its traceback."""
    from qcstation import logs
    from qcstation.cli._shared import UsageError, _err
    from qcstation.domain.yaml_files import ContentError
    from qcstation.services.problems import describe

    if isinstance(exc, ContentError):
        for problem in exc.problems:
            print(str(problem), file=sys.stderr)
        _err(f"error: {len(exc.problems)} problem(s); nothing was written")
        return BAD_INPUT
    text = str(exc) if isinstance(exc, UsageError) else describe(exc, args.database_url)
    if text is None:
        # Python prints it on the way out; the log keeps it too (stderr has it already).
        logs.log.error("a bug ended the command", exc_info=exc, extra=logs.FILE_ONLY)
        raise exc
    logs.log.warning("error: %s", text, extra=logs.FILE_ONLY)
    _err(f"error: {text}")
    return BAD_INPUT
