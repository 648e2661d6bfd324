"""The command line: a second face over the same services the window uses.

Exit codes: 0 ok; 1 a check found a problem (audit verify, db check); 2 bad usage or
bad input, with a message naming what and where. Expected problems never print a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from qcstation import __version__, config
from qcstation.cli import backup, sampling, signing, station, sync
from qcstation.cli._shared import BAD_INPUT, EXPECTED, UsageError, _err, _missing
from qcstation.domain.yaml_files import ContentError
from qcstation.store.database import DriverError, is_environmental, translate

# Each module adds its commands; the order here is the order of `qcstation --help`.
COMMANDS = (station, sampling, signing, backup, sync)


def _common() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument(
        "--data-dir",
        default=argparse.SUPPRESS,
        help=f"where this station keeps its data (env {config.ENV_DATA_DIR})",
    )
    p.add_argument(
        "--database-url",
        default=argparse.SUPPRESS,
        help=f"PostgreSQL URL of a plant database (env {config.ENV_DATABASE_URL})",
    )
    return p


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="qcstation",
        description="Quality inspection station for jewelry manufacturing.",
        parents=[common],
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
    parser.set_defaults(func=station.cmd_window)
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

    for module in COMMANDS:
        module.register(add, group)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for name in ("data_dir", "database_url"):
        if not hasattr(args, name):
            setattr(args, name, None)
    if getattr(args, "self_test", False):
        args.func = station.cmd_self_test
    try:
        return int(args.func(args))
    except UsageError as exc:
        _err(f"error: {exc}")
        return BAD_INPUT
    except ContentError as exc:
        for problem in exc.problems:
            print(str(problem), file=sys.stderr)
        _err(f"error: {len(exc.problems)} problem(s); nothing was written")
        return BAD_INPUT
    except EXPECTED as exc:
        _err(f"error: {exc}")
        return BAD_INPUT
    except DriverError as exc:
        if not is_environmental(exc):
            raise
        _err(f"error: {translate(exc, args.database_url)}")
        return BAD_INPUT
    except KeyboardInterrupt:
        _err("interrupted; everything committed so far is kept")
        return 130
