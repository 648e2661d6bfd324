"""Instrument protocols: byte streams as the devices send them (in the chunks a serial port
hands them over), garbage, partial lines, unstable readings, units."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qcstation.domain.instruments import (
    InstrumentError,
    LineSplitter,
    Reading,
    convert,
    fits,
    parse_mitutoyo,
    parse_mt_sics,
    parse_ohaus,
    parse_sartorius,
    protocol,
)


def lines_of(stream: bytes, chunk: int = 3, skip_first: bool = False) -> list[str]:
    """The stream fed in chunks of ``chunk`` bytes, as a slow port hands it over."""
    splitter = LineSplitter(skip_first)
    out: list[str] = []
    for i in range(0, len(stream), chunk):
        out += splitter.feed(stream[i : i + chunk])
    return out


# --- Mettler Toledo MT-SICS ---------------------------------------------------------------

MT_STABLE = b"S S      12.345 g\r\n"
MT_DYNAMIC = b"S D      12.340 g\r\n"


def test_mt_sics_stable_reply_is_a_reading_with_its_unit() -> None:
    (line,) = lines_of(MT_STABLE)
    r = parse_mt_sics(line)
    assert (r.value, r.unit, r.stable) == (Decimal("12.345"), "g", True)
    assert parse_mt_sics("S S     -0.002 g").value == Decimal("-0.002")
    assert parse_mt_sics("S S       1.2345 ct").unit == "ct"


def test_mt_sics_dynamic_reply_is_unstable() -> None:
    (line,) = lines_of(MT_DYNAMIC, chunk=1)
    r = parse_mt_sics(line)
    assert r.stable is False and r.value == Decimal("12.340")


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        ("S I", "busy"),
        ("S +", "overloaded"),
        ("S -", "below its range"),
        ("ES", "did not understand"),
        ("ET", "garbled characters"),
        ("EL", "cannot do that now"),
    ],
)
def test_mt_sics_states_and_errors_say_what_to_do(reply: str, words: str) -> None:
    with pytest.raises(InstrumentError, match=words) as caught:
        parse_mt_sics(reply)
    assert "nothing was recorded" in str(caught.value)


@pytest.mark.parametrize("line", ["S S      12.3.4 g", "S X 12 g", "12.345 g", "S S g", "hello"])
def test_mt_sics_garbage_is_named_not_read(line: str) -> None:
    with pytest.raises(InstrumentError, match="not a Mettler Toledo MT-SICS reading"):
        parse_mt_sics(line)


# --- Sartorius SBI ------------------------------------------------------------------------

SARTORIUS_STREAM = (
    b"3.456 g  \r\n"  # joined mid-line: dropped
    b"+    12.3    \r\n"  # still moving: no unit
    b"+   12.345 g  \r\n"
    b"N     +   12.345 g  \r\n"
    b"-    0.120 ct \r\n"
    b"+  123.5[6] g  \r\n"
)


def test_sartorius_stream_joined_mid_line() -> None:
    lines = lines_of(SARTORIUS_STREAM, chunk=5, skip_first=True)
    readings = [parse_sartorius(line) for line in lines]
    assert [(r.value, r.unit, r.stable) for r in readings] == [
        (Decimal("12.3"), "", False),
        (Decimal("12.345"), "g", True),
        (Decimal("12.345"), "g", True),
        (Decimal("-0.120"), "ct", True),
        (Decimal("123.56"), "g", True),
    ]


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("      H       ", "overloaded"),
        ("      LL      ", "below its range"),
        ("Stat     Err  54    ", r"error \(Err 54\)"),
        ("   Err 101   ", r"error \(Err 101\)"),
    ],
)
def test_sartorius_states(line: str, words: str) -> None:
    with pytest.raises(InstrumentError, match=words):
        parse_sartorius(line)


@pytest.mark.parametrize("line", ["+ 12,345 g", "abc", "+ - 12 g", "++12 g"])
def test_sartorius_garbage(line: str) -> None:
    with pytest.raises(InstrumentError, match="not a Sartorius SBI reading"):
        parse_sartorius(line)


# --- Ohaus --------------------------------------------------------------------------------

OHAUS_STREAM = b"     12.3 g   ?  N\r\n    12.345 g      N\r\n   53.98 g\r\n    -0.01 g  *  G\r\n"


def test_ohaus_lines_with_stability_flags() -> None:
    readings = [parse_ohaus(line) for line in lines_of(OHAUS_STREAM, chunk=7)]
    assert [(r.value, r.unit, r.stable) for r in readings] == [
        (Decimal("12.3"), "g", False),
        (Decimal("12.345"), "g", True),
        (Decimal("53.98"), "g", True),
        (Decimal("-0.01"), "g", True),
    ]


def test_ohaus_tare_line_and_overload_are_refused() -> None:
    with pytest.raises(InstrumentError, match="tare"):
        parse_ohaus("     5.000 g      T")
    with pytest.raises(InstrumentError, match="out of its range"):
        parse_ohaus("OL")
    with pytest.raises(InstrumentError, match="not a Ohaus reading"):
        parse_ohaus("g 12.3")


# --- Mitutoyo-style data cable --------------------------------------------------------------


def test_mitutoyo_one_value_per_press_in_mm() -> None:
    presses = b"01A+000012.34\r01A-00000.050\r"
    readings = [parse_mitutoyo(line) for line in lines_of(presses, chunk=4)]
    assert [(r.value, r.unit) for r in readings] == [
        (Decimal("12.34"), "mm"),
        (Decimal("-0.050"), "mm"),
    ]


@pytest.mark.parametrize(("line", "words"), [("91 1", "no data"), ("912", "out of format")])
def test_mitutoyo_errors(line: str, words: str) -> None:
    with pytest.raises(InstrumentError, match=words):
        parse_mitutoyo(line)


def test_mitutoyo_garbage() -> None:
    with pytest.raises(InstrumentError, match="not a Mitutoyo"):
        parse_mitutoyo("01B+12.3")


# --- bytes to lines --------------------------------------------------------------------------


def test_partial_line_stays_until_its_end_arrives() -> None:
    splitter = LineSplitter()
    assert splitter.feed(b"S S     12") == []
    assert splitter.partial == "S S     12"
    assert splitter.feed(b".345 g\r") == ["S S     12.345 g"]
    assert splitter.feed(b"\n\r\n") == []  # CR LF and empty lines are no lines


def test_noise_bytes_are_refused_by_name() -> None:
    # 9600-baud text read at 2400 baud: bytes with the high bit set, no line end
    with pytest.raises(InstrumentError, match="unreadable bytes"):
        LineSplitter().feed(b"\x80\xfe\x00\x9a\r\n")
    with pytest.raises(InstrumentError, match="no line end"):
        LineSplitter().feed(b"\x15" * 200)


def test_micro_sign_in_latin_1_is_text() -> None:
    assert LineSplitter().feed(b"+   12.5 \xb5m\r\n") == ["+   12.5 \u00b5m"]


# --- units ---------------------------------------------------------------------------------


def test_exact_conversions_only() -> None:
    assert convert(Reading(Decimal("1.235"), "ct"), "g") == Decimal("0.247")
    assert convert(Reading(Decimal("2.469"), "g"), "ct") == Decimal("12.345")
    assert convert(Reading(Decimal("1250"), "mg"), "g") == Decimal("1.25")
    assert convert(Reading(Decimal("0.5"), "in"), "mm") == Decimal("12.7")
    assert convert(Reading(Decimal("12.5"), "um"), "µm") == Decimal("12.5")
    assert convert(Reading(Decimal("-0.0"), "g"), "g") == Decimal("-0.0")


@pytest.mark.parametrize(
    ("reading", "unit", "words"),
    [
        (Reading(Decimal("1.2"), "g"), "mm", "no exact conversion"),
        (Reading(Decimal("1.2"), "oz"), "g", "reads in oz"),
        (Reading(Decimal("1.2"), "g"), "%", "no exact conversion"),
        (Reading(Decimal("1"), "mm"), "in", "no exact value in in"),
    ],
)
def test_conversions_that_are_not_exact_are_refused(
    reading: Reading, unit: str, words: str
) -> None:
    with pytest.raises(InstrumentError, match=words):
        convert(reading, unit, "the balance")


def test_which_instrument_fits_which_item() -> None:
    assert fits("mt-sics", "g") and fits("ohaus", "ct") and fits("mitutoyo", "mm")
    assert not fits("mitutoyo", "g") and not fits("sartorius", "mm") and not fits("mt-sics", "%")
    with pytest.raises(InstrumentError, match="unknown instrument protocol 'scale'"):
        protocol("scale")
