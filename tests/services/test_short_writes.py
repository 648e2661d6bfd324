"""Work that takes long holds no write transaction: a save from another thread (the UI's
database lane) goes through while a sign-in checks a password, a signature opens its key
or a report export opens the plant's keys (each a key derivation of tens to hundreds of
milliseconds, far longer on a busy machine). On SQLite there is one writer: before, the
save waited for all of it, or failed with "database is locked".

Every wait here is on an event the test controls; nothing asserts a duration.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from qcstation.domain.inspections import Answer, Outcome
from qcstation.domain.signing import Meaning
from qcstation.domain.stages import Stage
from qcstation.domain.users import User
from qcstation.services import _keyring, accounts, documents, inspections, signing
from qcstation.services.context import Station

HELD_S = 60  # a gate the test forgets frees itself


class Gate:
    """Holds every call of ``fn`` until opened; ``entered`` is set once one is held."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.entered = threading.Event()
        self.opened = threading.Event()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.entered.set()
        self.opened.wait(HELD_S)
        return self.fn(*args, **kwargs)


class Background:
    """``fn`` on a thread of its own, with its result or its error."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.result: Any = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(fn,), daemon=True)
        self.thread.start()

    def _run(self, fn: Callable[[], Any]) -> None:
        try:
            self.result = fn()
        except BaseException as exc:
            self.error = exc

    def done(self, timeout: float = 30) -> bool:
        self.thread.join(timeout)
        return not self.thread.is_alive()


def save_while_held(station: Station, inspector: User, gate: Gate, slow: Background) -> None:
    """With ``slow`` held at ``gate``, an answer is saved to the end; then ``slow`` ends."""
    ins = inspections.start(station, inspector, Stage.CASTING, "JT-W", "RG-1", "SN-W")
    assert gate.entered.wait(HELD_S), slow.error
    save = Background(
        lambda: inspections.record_answer(
            station, inspector, ins.id, Answer("fill", outcome=Outcome.PASS)
        )
    )
    try:
        assert save.done(), "the save waited for the held work"
        assert save.error is None, save.error
        assert not gate.opened.is_set() and slow.thread.is_alive()  # still held meanwhile
        got = inspections.get(station, ins.id).answers[("fill", None)]
        assert got.outcome is Outcome.PASS
    finally:
        gate.opened.set()
    assert slow.done() and slow.error is None, slow.error


def test_a_sign_in_holds_no_write_while_it_checks_the_password(
    station: Station,
    inspector: User,
    supervisor: User,
    password: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate = Gate(accounts.verify_password)
    monkeypatch.setattr(accounts, "verify_password", gate)
    slow = Background(lambda: accounts.login(station, "sam", password))
    save_while_held(station, inspector, gate, slow)
    assert slow.result.username == "sam" and slow.result.credential is not None


def test_a_wrong_password_is_still_counted_once(
    station: Station, supervisor: User, password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(accounts.LoginFailed):
        accounts.login(station, "sam", "not the password")
    with station.db.read() as s:
        from sqlalchemy import select

        from qcstation.store.models import UserRow

        row = s.scalars(select(UserRow).where(UserRow.username == "sam")).one()
        assert row.failed_logins == 1
    assert accounts.login(station, "sam", password).username == "sam"


def test_signing_opens_the_key_before_its_write(
    station: Station,
    inspector: User,
    completed: str,
    password: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate = Gate(_keyring.unlock)
    monkeypatch.setattr(_keyring, "unlock", gate)
    slow = Background(
        lambda: signing.sign(station, inspector, completed, Meaning.PERFORMED, password)
    )
    save_while_held(station, inspector, gate, slow)
    assert slow.result.manifest.meaning is Meaning.PERFORMED


def test_a_report_export_opens_the_plant_keys_before_its_write(
    station: Station,
    inspector: User,
    supervisor: User,
    completed: str,
    password: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    signing.sign(station, inspector, completed, Meaning.PERFORMED, password)
    signing.sign(station, supervisor, completed, Meaning.APPROVED, password)
    gate = Gate(_keyring.unlock)
    monkeypatch.setattr(_keyring, "unlock", gate)
    out = tmp_path / "report.pdf"
    slow = Background(
        lambda: documents.export_report(station, supervisor, password, completed, out)
    )
    save_while_held(station, inspector, gate, slow)
    assert out.is_file() and slow.result.number


def test_an_export_stopped_after_signing_writes_no_file(
    station: Station,
    inspector: User,
    supervisor: User,
    completed: str,
    password: str,
    tmp_path: Path,
) -> None:
    signing.sign(station, inspector, completed, Meaning.PERFORMED, password)
    signing.sign(station, supervisor, completed, Meaning.APPROVED, password)
    out = tmp_path / "report.pdf"

    def stop() -> None:
        raise KeyboardInterrupt("asked to stop")

    with pytest.raises(KeyboardInterrupt):
        documents.export_report(station, supervisor, password, completed, out, check=stop)
    assert not out.exists()


def test_a_report_export_hashes_its_photos_before_its_write(
    station: Station,
    inspector: User,
    supervisor: User,
    completed: str,
    password: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from qcstation.services import document_content

    signing.sign(station, inspector, completed, Meaning.PERFORMED, password)
    signing.sign(station, supervisor, completed, Meaning.APPROVED, password)
    assert document_content.photos(station, _record(station, completed))  # has photos
    gate = Gate(document_content.checked_path)
    monkeypatch.setattr(document_content, "checked_path", gate)
    out = tmp_path / "report.pdf"
    slow = Background(
        lambda: documents.export_report(station, supervisor, password, completed, out)
    )
    save_while_held(station, inspector, gate, slow)
    assert out.is_file()


def _record(station: Station, inspection_id: str) -> Any:
    from qcstation.services import records

    with station.db.read() as s:
        return records.load(s, inspection_id)
