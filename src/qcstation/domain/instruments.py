"""Readings from a digital balance or caliper: the protocols' lines, parsed; no I/O here.

services/instruments.py opens the serial port, sends a protocol's request and feeds what
arrives to a ``LineSplitter``; each complete line goes through the protocol's parser here.
What a parser cannot read as a reading is an ``InstrumentError`` whose message says what
the device sent and what to check: nothing is ever recorded from it.

The protocols (docs/instruments.md has the setup of each):

- ``mt-sics``: Mettler Toledo MT-SICS. qcstation sends ``SI`` (the weight now) and reads
  the one reply: ``S S      12.345 g`` (stable), ``S D      12.340 g`` (dynamic: still
  moving, refused), ``S I`` (busy), ``S +`` / ``S -`` (over / under the range), ``ES``,
  ``ET``, ``EL`` (syntax, transmission and logical errors).
- ``sartorius``: Sartorius SBI print lines (qcstation sends the print command ESC P, so
  printing on request and continuous print both work), 16 characters (``+   12.345 g  ``) or 22 with
  a 6-character ID in front (``N     +   12.345 g  ``). A value printed while the balance
  is not stable carries no unit; ``H``/``HH`` (overload), ``L``/``LL`` (underload),
  ``Stat`` and ``Err ###`` lines are states, not readings. Non-verified digits may stand in
  square brackets (``12.3[4]``): the brackets are dropped.
- ``ohaus``: Ohaus print lines (qcstation sends IP, print now; continuous print works
  too), ``    12.345 g   ?  N``: value, unit, ``?`` while unstable, then G / N / NET / T
  (gross, net, tare).
- ``mitutoyo``: a Mitutoyo-style Digimatic data cable (IT-007R and alike) sends one line
  each time DATA is pressed: ``01A+000012.34`` (channel 01, sign, the value as shown);
  ``91`` followed by a code is an error (1: no data, 2: out of format). The line carries
  no unit: it is read as millimetres, so the caliper must show mm.

Units convert only where the factor is exact by definition: mg, g, kg and the metric carat
(1 ct = 0.2 g exactly, CGPM 1907); µm, mm and the international inch (25.4 mm exactly,
1959). Anything else (a balance set to ounces, a reading for a % item) is refused by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, Inexact, InvalidOperation, localcontext
from enum import Enum
from typing import Literal

from qcstation.domain.numbers import MAX_MAGNITUDE

ProtocolName = Literal["mt-sics", "sartorius", "ohaus", "mitutoyo"]
PROTOCOL_NAMES: tuple[ProtocolName, ...] = ("mt-sics", "sartorius", "ohaus", "mitutoyo")
BAUD_RATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
MAX_LINE = 128  # no protocol's line comes near this: longer is noise or the wrong baud rate
MAX_VALUE = Decimal(MAX_MAGNITUDE)  # what a record holds as a reading


class InstrumentError(ValueError):
    """What the instrument sent (or did not) that gives no reading; the message says what to
    do. Nothing is recorded from it."""


class Quantity(str, Enum):
    MASS = "mass"
    LENGTH = "length"


# Each unit's exact size in its quantity's base unit (g, mm).
_UNITS: dict[str, tuple[Quantity, Decimal]] = {
    "mg": (Quantity.MASS, Decimal("0.001")),
    "g": (Quantity.MASS, Decimal(1)),
    "kg": (Quantity.MASS, Decimal(1000)),
    "ct": (Quantity.MASS, Decimal("0.2")),  # the metric carat, exactly (CGPM 1907)
    "µm": (Quantity.LENGTH, Decimal("0.001")),
    "mm": (Quantity.LENGTH, Decimal(1)),
    "in": (Quantity.LENGTH, Decimal("25.4")),  # the international inch, exactly (1959)
}
_SPELLINGS = {"um": "µm", "μm": "µm", "inch": "in"}  # μ (Greek mu) is not µ (micro sign)


def unit_of(text: str) -> str:
    """A unit as this module names it ("um" is µm), or the text itself if unknown."""
    t = text.strip()
    t = _SPELLINGS.get(t, t)
    if t in _UNITS:
        return t
    low = _SPELLINGS.get(t.lower(), t.lower())
    return low if low in _UNITS else t


def quantity_of(unit: str) -> Quantity | None:
    found = _UNITS.get(unit_of(unit))
    return found[0] if found else None


@dataclass(frozen=True)
class Reading:
    """One value as the instrument sent it (``line``), with its unit and stability."""

    value: Decimal
    unit: str
    stable: bool = True
    line: str = ""

    def __str__(self) -> str:
        return f"{self.value} {self.unit}"


def convert(reading: Reading, to_unit: str, device: str = "the instrument") -> Decimal:
    """The reading in ``to_unit``, exactly; InstrumentError when there is no exact factor."""
    source, target = unit_of(reading.unit), unit_of(to_unit)
    if source == target:
        return reading.value
    a, b = _UNITS.get(source), _UNITS.get(target)
    if a is None or b is None or a[0] is not b[0]:
        raise InstrumentError(
            f"{device} reads in {reading.unit or 'no unit'}, and this item takes {to_unit}: "
            f"there is no exact conversion, so nothing was recorded; set {device} to "
            f"{to_unit} or type the reading"
        )
    with localcontext() as exact:
        exact.traps[Inexact] = True
        try:
            return reading.value * a[1] / b[1] + Decimal(0)  # "+ 0" turns -0 into 0
        except Inexact:
            raise InstrumentError(
                f"{reading} has no exact value in {to_unit}: set {device} to {to_unit} or "
                "type the reading (nothing was recorded)"
            ) from None


def _number(sign: str, digits: str, line: str) -> Decimal:
    try:
        value = Decimal(digits)
    except InvalidOperation:
        raise garbled(line) from None
    if not value.is_finite() or abs(value) > MAX_VALUE:
        raise garbled(line)
    return -value if sign in ("-", "\u2212") else value


def shown(line: str) -> str:
    """A received line as a message shows it: printable, bounded."""
    text = line if len(line) <= 40 else line[:40] + "…"
    return repr(text)


def garbled(line: str, protocol: str = "") -> InstrumentError:
    what = f" {PROTOCOLS[protocol].label}" if protocol in PROTOCOLS else ""
    return InstrumentError(
        f"the instrument sent {shown(line)}, which is not a{what} reading: check that the "
        "station's protocol and baud rate match the instrument's settings (nothing was recorded)"
    )


# --- Mettler Toledo MT-SICS -------------------------------------------------------------

_MT_VALUE = re.compile(r"^S\s+([SD])\s+([-+]?)\s*(\d+(?:\.\d+)?)\s*(\S+)\s*$")
_MT_STATES = {
    "S I": "the balance could not give a weight now (S I: busy taring, zeroing or "
    "adjusting): wait a moment and read again",
    "S +": "the balance is overloaded (S +): take the load off and read again",
    "S -": "the balance is below its range (S -): is the pan in place? zero it and read again",
    "ES": "the balance did not understand the command (ES): is it set to MT-SICS? check the "
    "station's protocol",
    "ET": "the balance received garbled characters (ET): check the baud rate and the cable",
    "EL": "the balance cannot do that now (EL): clear its display and read again",
}


def parse_mt_sics(line: str) -> Reading:
    text = line.strip()
    found = _MT_VALUE.match(text)
    if found is not None:
        status, sign, digits, unit = found.groups()
        return Reading(_number(sign, digits, line), unit_of(unit), status == "S", line)
    state = " ".join(text.split())
    if state in _MT_STATES:
        raise InstrumentError(_MT_STATES[state] + " (nothing was recorded)")
    raise garbled(line, "mt-sics")


# --- Sartorius SBI ----------------------------------------------------------------------

_SBI_VALUE = re.compile(
    r"^(?P<id>[A-Za-z#][^\s+\-\d]{0,5})?\s*(?P<sign>[+-])?\s*(?P<digits>\d+(?:\.\d+)?)"
    r"\s*(?P<unit>[A-Za-zµμ/%]{1,3})?\s*$"
)
_SBI_STATES = {
    "H": "the balance is overloaded (H): take the load off and read again",
    "HH": "the balance is overloaded (HH): take the load off and read again",
    "L": "the balance is below its range (L): is the pan in place? zero it and read again",
    "LL": "the balance is below its range (LL): is the pan in place? zero it and read again",
    "C": "the balance is calibrating (C): wait until it is done and read again",
}


def parse_sartorius(line: str) -> Reading:
    text = line.strip()
    words = text.split()
    if words and words[0] == "Stat":
        words = words[1:]
    if "Err" in words:
        code = " ".join(words[words.index("Err") :])
        raise InstrumentError(
            f"the balance reports an error ({code}): see its manual (nothing was recorded)"
        )
    if len(words) == 1 and words[0] in _SBI_STATES:
        raise InstrumentError(_SBI_STATES[words[0]] + " (nothing was recorded)")
    found = _SBI_VALUE.match(text.replace("[", "").replace("]", ""))
    if found is None:
        raise garbled(line, "sartorius")
    unit = found["unit"]
    value = _number(found["sign"] or "", found["digits"], line)
    return Reading(value, unit_of(unit) if unit else "", unit is not None, line)


# --- Ohaus ------------------------------------------------------------------------------

_OHAUS_VALUE = re.compile(
    r"^(?P<sign>-)?\s*(?P<digits>\d+(?:\.\d+)?)\s*(?P<unit>[A-Za-zµμ]{1,3})\s*"
    r"(?P<flag>[?*])?\s*(?P<mode>G|N|NET|T|GROSS)?\s*$"
)


def parse_ohaus(line: str) -> Reading:
    text = line.strip()
    found = _OHAUS_VALUE.match(text)
    if found is None:
        if text.upper() in ("OL", "-OL", "O-L", "UL"):
            raise InstrumentError(
                f"the balance is out of its range ({text}): take the load off or zero it, "
                "then read again (nothing was recorded)"
            )
        raise garbled(line, "ohaus")
    if found["mode"] == "T":
        raise InstrumentError(
            "the balance printed its tare (T), not a weight: print the weight (nothing was "
            "recorded)"
        )
    value = _number(found["sign"] or "", found["digits"], line)
    return Reading(value, unit_of(found["unit"]), found["flag"] != "?", line)


# --- Mitutoyo-style Digimatic data cable ---------------------------------------------------

_MITUTOYO_VALUE = re.compile(r"^(\d\d)A([+-])(\d+(?:\.\d+)?)$")
_MITUTOYO_ERRORS = {
    "1": "no data: is the caliper switched on and its cable seated?",
    "2": "the caliper's data was out of format: read again",
}


def parse_mitutoyo(line: str) -> Reading:
    text = line.strip()
    found = _MITUTOYO_VALUE.match(text)
    if found is not None:
        _channel, sign, digits = found.groups()
        return Reading(_number(sign, digits, line), "mm", True, line)
    compact = text.replace(" ", "")
    if compact.startswith("91") and len(compact) <= 4:
        why = _MITUTOYO_ERRORS.get(compact[2:], "see the data cable's manual")
        raise InstrumentError(
            f"the caliper's cable reports error {compact[2:] or '?'}: {why} (nothing was recorded)"
        )
    raise garbled(line, "mitutoyo")


# --- the protocols ------------------------------------------------------------------------


@dataclass(frozen=True)
class Protocol:
    name: ProtocolName
    label: str
    quantity: Quantity
    parse: Callable[[str], Reading]
    request: bytes  # sent before reading (again after an unstable line); b"": nothing
    streams: bool  # may print on its own (continuous print): the first line may be cut off
    waits_for_press: bool  # one line per press of a button on the device
    default_baud: int
    default_timeout: float  # seconds


PROTOCOLS: dict[str, Protocol] = {
    "mt-sics": Protocol(
        "mt-sics", "Mettler Toledo MT-SICS", Quantity.MASS, parse_mt_sics,
        b"SI\r\n", streams=False, waits_for_press=False, default_baud=9600,
        default_timeout=3.0,
    ),
    "sartorius": Protocol(
        "sartorius", "Sartorius SBI", Quantity.MASS, parse_sartorius,
        b"\x1bP\r\n", streams=True, waits_for_press=False, default_baud=9600, default_timeout=5.0,
    ),
    "ohaus": Protocol(
        "ohaus", "Ohaus", Quantity.MASS, parse_ohaus,
        b"IP\r\n", streams=True, waits_for_press=False, default_baud=9600, default_timeout=5.0,
    ),
    "mitutoyo": Protocol(
        "mitutoyo", "Mitutoyo Digimatic cable", Quantity.LENGTH, parse_mitutoyo,
        b"", streams=False, waits_for_press=True, default_baud=2400, default_timeout=15.0,
    ),
}  # fmt: skip


def protocol(name: str) -> Protocol:
    try:
        return PROTOCOLS[name]
    except KeyError:
        raise InstrumentError(
            f"unknown instrument protocol {name!r}: use one of {', '.join(PROTOCOL_NAMES)}"
        ) from None


def fits(name: str, unit: str) -> bool:
    """Whether an instrument speaking protocol ``name`` measures what an item in ``unit``
    records (a balance for g and ct, a caliper for mm)."""
    p = PROTOCOLS.get(name)
    return p is not None and quantity_of(unit) is p.quantity


# --- bytes to lines ------------------------------------------------------------------------


class LineSplitter:
    """Complete lines out of the bytes as they arrive, in any chunks: CR, LF or CR LF ends a
    line; an empty line is skipped. ``skip_first`` drops what comes before the first line
    end (a stream joined mid-line). Bytes that are not ASCII text, or a line longer than
    MAX_LINE, are an InstrumentError: noise on the line, or the wrong baud rate."""

    def __init__(self, skip_first: bool = False) -> None:
        self._buffer = bytearray()
        self._skipping = skip_first

    @property
    def partial(self) -> str:
        """What arrived after the last complete line."""
        return self._buffer.decode("ascii", "replace")

    def feed(self, data: bytes) -> list[str]:
        self._buffer += data
        lines: list[str] = []
        while True:
            ends = [i for i in (self._buffer.find(b"\r"), self._buffer.find(b"\n")) if i >= 0]
            if not ends:
                break
            end = min(ends)
            raw = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            if self._skipping:
                self._skipping = False
                continue
            if raw.strip():
                lines.append(_text(raw))
        if len(self._buffer) > MAX_LINE:
            raise InstrumentError(
                f"the instrument sent {len(self._buffer)} bytes with no line end "
                f"({shown(self.partial)}): check the protocol and baud rate (nothing was "
                "recorded)"
            )
        return lines


def _text(raw: bytes) -> str:
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        text = ""
    if not text or any(not (c.isprintable() or c == "\t") for c in text):
        # µ from a balance's Latin-1 display unit is text; anything else is noise
        latin = raw.decode("latin-1")
        if "\u00b5" in latin and all(c.isprintable() for c in latin):
            return latin
        raise InstrumentError(
            f"the instrument sent unreadable bytes {raw[:24]!r}: noise on the cable, or a "
            "baud rate that differs from the instrument's (nothing was recorded)"
        )
    return text
