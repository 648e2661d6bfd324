"""Reading a balance or a caliper on a serial port (pyserial); the protocols are parsed in
domain/instruments.py.

One reading is: open the port, drop whatever waited in it (a value pressed or printed
before the person asked must not land in this item), send the protocol's request, and read
lines until one decides, within the protocol's timeout:

- MT-SICS: the reply to ``SI``; ``S D`` (still moving) is refused at once.
- Sartorius and Ohaus: the print command is sent (ESC P, IP), so a balance printing on
  request answers; one printing continuously just goes on. A line the reading may have
  joined mid-way is dropped (see ``_read``); unstable lines are passed over (asking again)
  until a stable one arrives; when none does in time, the refusal names the last value.
- The Mitutoyo cable sends a line when DATA is pressed on the caliper: the first one.

Every failure is an ``InstrumentProblem`` whose message names the port and what to do: no
such port, no permission, the port busy, the cable pulled mid-read, no answer, garbage, a
partial line, an unstable weight, a unit the item cannot take. Nothing is recorded then:
the checklist stores a reading only from a returned ``Measured``.

Keyboard-wedge devices (a USB caliper or balance that types its value like a keyboard) need
none of this: they type into the reading field that has the focus, as a person would.
"""

from __future__ import annotations

import contextlib
import errno
import sys
import time
import typing
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import serial
from serial.tools import list_ports

from qcstation.config import InstrumentSetting
from qcstation.domain.instruments import (
    InstrumentError,
    LineSplitter,
    Protocol,
    Reading,
    convert,
    fits,
    protocol,
    shown,
)
from qcstation.services.errors import ServiceError

POLL = 0.05  # seconds one read waits at most, so the deadline is kept (and QUIET, below)
ASK_AGAIN = 0.25  # seconds between print commands to a balance that is not stable yet


class InstrumentProblem(ServiceError):
    """No reading: the message says what the instrument did (or did not) and what to do."""


class Port(typing.Protocol):
    """What a reading needs of a serial port (pyserial's Serial has it)."""

    def reset_input_buffer(self) -> None: ...
    def write(self, data: bytes, /) -> int | None: ...
    def flush(self) -> None: ...
    def read(self, size: int = 1, /) -> bytes: ...
    @property
    def in_waiting(self) -> int: ...
    def close(self) -> None: ...


Opener = Callable[[str, int], Port]


def open_port(port: str, baud: int) -> Port:
    """The port, opened 8N1 with short reads; a port another program holds is refused
    (exclusive, where the system supports it)."""
    kwargs: dict[str, Any] = {"baudrate": baud, "timeout": POLL, "write_timeout": 1.0}
    try:
        return serial.serial_for_url(port, exclusive=True, **kwargs)  # type: ignore[no-any-return]
    except ValueError as exc:
        if "exclusive" not in str(exc):
            raise InstrumentProblem(f"cannot open {port}: {exc}") from None
        return serial.serial_for_url(port, **kwargs)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Measured:
    """A reading in the item's unit, and who gave it (recorded with the answer)."""

    value: Decimal
    unit: str
    reading: Reading  # as the instrument sent it
    instrument: str


def ports() -> list[str]:
    """The serial ports this computer lists now (a USB adapter appears when plugged in)."""
    try:
        return sorted(p.device for p in list_ports.comports())
    except OSError:  # no way to list them here: the port is typed
        return []


def describe(setting: InstrumentSetting) -> str:
    """How the record names an instrument: "Balance 2 (Mettler Toledo MT-SICS, COM3)"."""
    label = protocol(setting.protocol).label
    return f"{setting.name} ({label}, {setting.port})"[:120]


def for_unit(settings: list[InstrumentSetting], unit: str) -> InstrumentSetting | None:
    """The station's first instrument that measures what an item in ``unit`` records."""
    return next((s for s in settings if fits(s.protocol, unit)), None)


def read(
    port: str,
    protocol_name: str,
    baud: int | None = None,
    timeout: float | None = None,
    opener: Opener = open_port,
    clock: Callable[[], float] = time.monotonic,
) -> Reading:
    """One stable reading from the instrument on ``port``, in the instrument's unit."""
    try:
        proto = protocol(protocol_name)
    except InstrumentError as exc:
        raise InstrumentProblem(str(exc)) from None
    if not port.strip():
        raise InstrumentProblem("no serial port given: name one, such as COM3 or /dev/ttyUSB0")
    baud = baud or proto.default_baud
    wait = proto.default_timeout if timeout is None else timeout
    device = f"the {proto.label} on {port}"
    conn = _open(opener, port, baud)
    try:
        return _read(conn, proto, device, baud, wait, clock)
    except InstrumentError as exc:
        raise InstrumentProblem(f"{device}: {exc}") from None
    except (serial.SerialException, OSError) as exc:
        raise InstrumentProblem(
            f"the connection to {device} was lost during the reading ({_why(exc)}): was the "
            "cable pulled? Plug it back in and read again; nothing was recorded"
        ) from None
    finally:
        # a vanished port cannot be closed cleanly; nothing is left to do
        with contextlib.suppress(serial.SerialException, OSError):
            conn.close()


def measure(setting: InstrumentSetting, unit: str, opener: Opener = open_port) -> Measured:
    """A reading from the station's instrument, converted (exactly) into ``unit``."""
    name = describe(setting)
    reading = read(setting.port, setting.protocol, setting.baud, setting.timeout_s, opener)
    try:
        value = convert(reading, unit, setting.name)
    except InstrumentError as exc:
        raise InstrumentProblem(str(exc)) from None
    return Measured(value, unit, reading, name)


def _open(opener: Opener, port: str, baud: int) -> Port:
    try:
        return opener(port, baud)
    except (serial.SerialException, OSError) as exc:
        code = getattr(exc, "errno", None)
        text = str(exc)
        if code == errno.ENOENT or "No such file" in text or "FileNotFound" in text:
            here = ", ".join(ports()) or "none"
            raise InstrumentProblem(
                f"there is no serial port {port} on this computer (ports here: {here}): is "
                "the instrument's cable plugged in, and is the port in Settings right?"
            ) from None
        if sys.platform == "win32" and ("Access is denied" in text or code == errno.EACCES):
            raise InstrumentProblem(  # Windows says so when another program has the port
                f"{port} is in use by another program (or this account may not open it): "
                "close the other program and read again"
            ) from None
        if code in (errno.EACCES, errno.EPERM) or "Permission denied" in text:
            raise InstrumentProblem(
                f"this account may not open {port} (permission denied): on Linux, add it to "
                "the dialout group and sign in again"
            ) from None
        if code in (errno.EBUSY, errno.EAGAIN) or "lock" in text.lower() or "busy" in text:
            raise InstrumentProblem(
                f"{port} is in use by another program: close it and read again"
            ) from None
        if "Inappropriate ioctl" in text or code in (errno.ENOTTY, errno.EISDIR):
            raise InstrumentProblem(
                f"{port} is not a serial port: name the instrument's port, such as COM3 or "
                "/dev/ttyUSB0"
            ) from None
        raise InstrumentProblem(f"cannot open {port}: {_why(exc)}") from None


def _why(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _read(
    conn: Port,
    proto: Protocol,
    device: str,
    baud: int,
    wait: float,
    clock: Callable[[], float],
) -> Reading:
    conn.reset_input_buffer()
    deadline = clock() + wait
    first = b""
    if proto.streams:
        # A balance printing continuously may be in the middle of a line now. Bytes within
        # a line come back to back (a character every 8 ms even at 1200 baud): when none
        # comes for QUIET, the next one starts a line; when one does, the first line may
        # be cut and is dropped.
        first = conn.read(max(1, min(conn.in_waiting, 4096)))
    lines = LineSplitter(skip_first=bool(first))
    _request(conn, proto)
    asked = clock()
    unstable: Reading | None = None
    chunk = first
    while True:
        for line in lines.feed(chunk):
            reading = proto.parse(line)
            if reading.stable:
                return reading
            if not proto.streams:
                raise InstrumentError(_unstable(reading))
            unstable = reading
        if clock() >= deadline:
            break
        if unstable is not None and clock() - asked >= ASK_AGAIN:
            _request(conn, proto)  # printing on request: ask until it settles
            asked = clock()
        chunk = conn.read(max(1, min(conn.in_waiting, 4096)))
    if unstable is not None:
        raise InstrumentError(_unstable(unstable, f" within {wait:g} s"))
    if lines.partial.strip():
        raise InstrumentError(
            f"only part of a line arrived ({shown(lines.partial)}) and then nothing for "
            f"{wait:g} s: check the cable and the baud rate ({baud}); nothing was recorded"
        )
    if proto.waits_for_press:
        raise InstrumentError(
            f"no value within {wait:g} s: press DATA on the caliper (or its foot switch) "
            "after asking for the reading; is the caliper on and its cable seated?"
        )
    raise InstrumentError(
        f"no answer within {wait:g} s: is it switched on, connected, and set to "
        f"{proto.label} at {baud} baud?"
    )


def _request(conn: Port, proto: Protocol) -> None:
    if proto.request:
        conn.write(proto.request)
        conn.flush()


def _unstable(reading: Reading, when: str = "") -> str:
    shown_value = f"{reading.value} {reading.unit}".strip()
    return (
        f"the weight did not settle{when} (last {shown_value}, unstable): wait until the "
        "display is steady (no draught, nothing touching the pan) and read again; nothing "
        "was recorded"
    )
