"""`instrument read`: one reading from a balance or caliper on a serial port, with its unit.

Any failure (no such port, no answer, garbage, an unstable weight, the cable pulled) is a
message naming the port and what to do, and exit code 2.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from qcstation.cli._shared import OK, _out
from qcstation.domain.instruments import BAUD_RATES, PROTOCOL_NAMES


def cmd_instrument_read(args: argparse.Namespace) -> int:
    from qcstation.services import instruments

    reading = instruments.read(args.port, args.protocol, args.baud, args.timeout)
    if args.json:
        _out(json.dumps({"value": str(reading.value), "unit": reading.unit, "line": reading.line}))
    else:
        _out(f"{reading.value} {reading.unit}".rstrip())
    return OK


def _timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0.1 <= value <= 120:
        raise argparse.ArgumentTypeError(f"{text} s is outside 0.1 to 120 seconds")
    return value


def _baud(text: str) -> int:
    if not text.isdigit() or int(text) not in BAUD_RATES:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a baud rate: use one of {', '.join(map(str, BAUD_RATES))}"
        )
    return int(text)


def register(add: Any, group: Any) -> None:
    isub = group("instrument", "balances and calipers on a serial port")
    p = add("read", cmd_instrument_read, "print one reading with its unit", isub)
    p.add_argument("--port", required=True, help="COM3, /dev/ttyUSB0, ...")
    p.add_argument("--protocol", required=True, choices=PROTOCOL_NAMES)
    p.add_argument("--baud", type=_baud, default=None, help="default: the protocol's usual")
    p.add_argument(
        "--timeout", type=_timeout, default=None, help="seconds to wait (default: the protocol's)"
    )
    p.add_argument("--json", action="store_true", help="value, unit and the line as sent")
