"""Reading an instrument on a serial port, against devices emulated on a pseudo-terminal."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from qcstation.config import InstrumentSetting
from qcstation.services import instruments
from qcstation.services.instruments import InstrumentProblem

from ..instrument_device import device, mt_sics

pytestmark = pytest.mark.skipif(
    not hasattr(__import__("os"), "openpty"), reason="pseudo-terminals are POSIX"
)


def test_mt_sics_stable_weight() -> None:
    with device(mt_sics()) as dev:
        r = instruments.read(dev.port, "mt-sics", timeout=2)
        assert (r.value, r.unit, r.stable) == (Decimal("12.345"), "g", True)
        assert bytes(dev.received) == b"SI\r\n"


def test_mt_sics_dynamic_weight_is_refused() -> None:
    with device(mt_sics(b"S D      12.340 g")) as dev:
        with pytest.raises(InstrumentProblem, match=r"did not settle \(last 12.340 g"):
            instruments.read(dev.port, "mt-sics", timeout=2)


def test_mt_sics_reply_in_pieces_and_stale_bytes_dropped() -> None:
    def slow(line: bytes) -> bytes:
        dev.send(b"S S    ")
        dev.send_later(0.15, b"  7.0")
        dev.send_later(0.3, b"05 g\r\n")
        return b""

    with device(slow) as dev:
        dev.send(b"S S      99.999 g\r\n")  # printed before anyone asked: not this reading
        time.sleep(0.1)
        assert instruments.read(dev.port, "mt-sics", timeout=2).value == Decimal("7.005")


def test_no_answer_says_what_to_check() -> None:
    with device() as dev:
        started = time.monotonic()
        with pytest.raises(InstrumentProblem, match=r"no answer within 0.5 s.*at 9600 baud"):
            instruments.read(dev.port, "mt-sics", timeout=0.5)
        assert time.monotonic() - started < 3


def test_partial_line_then_silence() -> None:
    with device(lambda _line: b"S S     12.3") as dev:
        with pytest.raises(
            InstrumentProblem, match=r"only part of a line arrived \('S S     12.3'\)"
        ):
            instruments.read(dev.port, "mt-sics", timeout=0.5)


def test_garbage_is_refused() -> None:
    with device(lambda _line: b"\x8a\xf3\x11\x80\r\n") as dev:
        with pytest.raises(InstrumentProblem, match="unreadable bytes"):
            instruments.read(dev.port, "mt-sics", timeout=1)
    with device(lambda _line: b"hello there\r\n") as dev:
        with pytest.raises(InstrumentProblem, match="not a Mettler Toledo MT-SICS reading"):
            instruments.read(dev.port, "mt-sics", timeout=1)


def test_cable_pulled_mid_read() -> None:
    def half(_line: bytes) -> bytes:
        dev.pull_cable(after=0.1)
        return b"S S    1"

    with device(half) as dev:
        with pytest.raises(InstrumentProblem, match=r"lost during the reading.*cable pulled"):
            instruments.read(dev.port, "mt-sics", timeout=3)


def test_port_another_program_holds() -> None:
    with device(mt_sics()) as dev:
        held = instruments.open_port(dev.port, 9600)
        try:
            with pytest.raises(InstrumentProblem, match=f"{dev.port} is in use by another program"):
                instruments.read(dev.port, "mt-sics", timeout=1)
        finally:
            held.close()
        assert instruments.read(dev.port, "mt-sics", timeout=2).value == Decimal("12.345")


def test_port_that_does_not_exist() -> None:
    with pytest.raises(InstrumentProblem, match="there is no serial port /dev/qc-nothing-here"):
        instruments.read("/dev/qc-nothing-here", "mt-sics", timeout=1)


@pytest.mark.parametrize(
    ("port", "words"),
    [
        ("", "no serial port given"),
        ("/dev/null", "/dev/null is not a serial port"),
        (__file__, "is not a serial port"),
    ],
)
def test_what_is_not_a_serial_port(port: str, words: str) -> None:
    with pytest.raises(InstrumentProblem, match=words):
        instruments.read(port, "mt-sics", timeout=1)


def test_sartorius_stream_waits_for_a_stable_line() -> None:
    with device() as dev:
        dev.stream(
            [b"  g  \r\n", b"+    12.3    \r\n", b"+    12.31   \r\n", b"+   12.315 g  \r\n"]
        )
        r = instruments.read(dev.port, "sartorius", timeout=3)
        assert (r.value, r.unit) == (Decimal("12.315"), "g")


def test_sartorius_stream_that_never_settles() -> None:
    with device() as dev:
        dev.stream([b"+    12.3    \r\n"])
        with pytest.raises(InstrumentProblem, match=r"did not settle within 0.6 s \(last 12.3,"):
            instruments.read(dev.port, "sartorius", timeout=0.6)


def test_sartorius_printing_on_request() -> None:
    """A balance not in continuous print answers the print command (ESC P) with one line."""
    with device(lambda line: b"+   12.345 g  \r\n" if line == b"\x1bP" else None) as dev:
        r = instruments.read(dev.port, "sartorius", timeout=3)
        assert (r.value, r.unit) == (Decimal("12.345"), "g")
        assert bytes(dev.received) == b"\x1bP\r\n"


def test_ohaus_on_request_is_asked_again_until_it_settles() -> None:
    answers = iter([b"   12.31 g  ?\r\n", b"   12.33 g  ?\r\n", b"   12.34 g\r\n"])
    with device(lambda line: next(answers) if line == b"IP" else None) as dev:
        r = instruments.read(dev.port, "ohaus", timeout=3)
        assert (r.value, r.unit) == (Decimal("12.34"), "g")
        assert bytes(dev.received) == b"IP\r\n" * 3
    with device(lambda line: b"   12.31 g  ?\r\n" if line == b"IP" else None) as dev:
        with pytest.raises(InstrumentProblem, match=r"did not settle within 0.6 s \(last 12.31 g"):
            instruments.read(dev.port, "ohaus", timeout=0.6)
        assert 2 <= bytes(dev.received).count(b"IP\r\n") <= 4  # asked again, not flooded


def test_ohaus_stream() -> None:
    with device() as dev:
        dev.stream([b"   0.412 ct  ?\r\n", b"   0.412 ct  ?\r\n", b"   0.415 ct\r\n"])
        r = instruments.read(dev.port, "ohaus", timeout=3)
        assert (r.value, r.unit) == (Decimal("0.415"), "ct")


def test_mitutoyo_waits_for_the_press() -> None:
    with device() as dev:
        dev.send(b"01A+000003.21\r")  # pressed before the reading was asked for: dropped
        time.sleep(0.1)
        dev.press_when_read(b"01A+000012.34\r")
        r = instruments.read(dev.port, "mitutoyo", timeout=3)
        assert (r.value, r.unit) == (Decimal("12.34"), "mm")
    with device() as dev:
        with pytest.raises(InstrumentProblem, match="press DATA on the caliper"):
            instruments.read(dev.port, "mitutoyo", timeout=0.3)


def test_measure_converts_exactly_and_names_the_instrument() -> None:
    with device(mt_sics(b"S S       1.235 ct")) as dev:
        setting = InstrumentSetting(name="Balance 2", port=dev.port, protocol="mt-sics")
        m = instruments.measure(setting, "g")
        assert (m.value, m.unit) == (Decimal("0.247"), "g")
        assert m.instrument == f"Balance 2 (Mettler Toledo MT-SICS, {dev.port})"


def test_measure_refuses_a_unit_the_item_cannot_take() -> None:
    with device(mt_sics(b"S S       1.235 oz")) as dev:
        setting = InstrumentSetting(name="Balance", port=dev.port, protocol="mt-sics")
        with pytest.raises(InstrumentProblem, match=r"Balance reads in oz.*takes g"):
            instruments.measure(setting, "g")


def test_for_unit_picks_the_instrument_that_measures_it() -> None:
    balance = InstrumentSetting(name="Balance", port="COM3", protocol="ohaus")
    caliper = InstrumentSetting(name="Caliper", port="COM4", protocol="mitutoyo", baud=2400)
    assert instruments.for_unit([balance, caliper], "mm") == caliper
    assert instruments.for_unit([balance, caliper], "ct") == balance
    assert instruments.for_unit([balance, caliper], "%") is None


def test_a_wrong_instrument_in_the_settings_file_is_named(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from qcstation import config

    (tmp_path / "settings.yaml").write_text(
        "instruments:\n  - {name: Balance, port: COM3, protocol: mt-sics, baud: 9601}\n"
    )
    settings, warnings = config.load_settings(tmp_path)
    assert settings.instruments == []
    assert (
        len(warnings) == 1
        and "instruments.0.baud: Value error, baud rate 9601 is none of" in warnings[0]
    )
    (tmp_path / "settings.yaml").write_text(
        "instruments:\n  - {name: Caliper, port: COM4, protocol: mitutoyo, baud: 2400, timeout_s: 20}\n"
    )
    settings, warnings = config.load_settings(tmp_path)
    assert warnings == [] and settings.instruments[0].timeout_s == 20


def test_two_instruments_on_one_port_or_with_one_name_are_refused() -> None:
    from pydantic import ValidationError

    from qcstation.config import Settings

    a = InstrumentSetting(name="Balance", port="COM3", protocol="mt-sics")
    for b, words in (
        (InstrumentSetting(name="Caliper", port="COM3", protocol="mitutoyo"), "port 'COM3'"),
        (InstrumentSetting(name="Balance", port="COM4", protocol="ohaus"), "name 'Balance'"),
    ):
        with pytest.raises(ValidationError, match=f"two instruments have the {words}"):
            Settings(instruments=[a, b])
