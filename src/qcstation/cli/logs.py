"""`logs`: where this station's logs are, and what the last run that crashed left."""

from __future__ import annotations

import argparse
from typing import Any

from qcstation import logs
from qcstation.cli._shared import OK, _out
from qcstation.paths import choose_data_dir

TAIL_LINES = 40


def cmd_logs(args: argparse.Namespace) -> int:
    directory = logs.logs_dir(choose_data_dir(args.data_dir))
    _out(f"logs: {directory}")
    _out(f"log file: {directory / logs.LOG_FILE} (older ones beside it: .1, .2, ...)")
    found = logs.last_crash(directory)
    if found is None:
        _out("no crash recorded")
        return OK
    path, text = found
    lines = text.rstrip().splitlines()
    _out(
        f"last crash: {path}"
        + (f" (its last {TAIL_LINES} lines)" if len(lines) > TAIL_LINES else "")
    )
    for line in lines[-TAIL_LINES:]:
        _out(f"  {line}".rstrip())
    return OK


def register(add: Any, group: Any) -> None:
    add("logs", cmd_logs, "where the logs are, and the end of the last crash report")
