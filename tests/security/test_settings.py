"""Settings that matter to documents (plant name, certificate verify URL, certificate
stages, time-stamp server) are changed by administrators only, and each change is in the
signed audit trail with its old and new value (docs/security.md, X1).

Each test runs on one SQLite file and on the PostgreSQL server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from qcstation import config
from qcstation.domain.stages import Stage
from qcstation.domain.users import User
from qcstation.services import audit
from qcstation.services import settings as settings_service
from qcstation.services.context import Station
from qcstation.services.errors import PermissionDenied
from qcstation.store.models import AuditEntry

VERIFY_URL = "https://verify.example.com/c?c={payload}"
TSA_PASSWORD = "tsa-S3cret-pw"
TSA_URL = f"https://bench:{TSA_PASSWORD}@tsa.example.com/rfc3161"


def setting_entries(station: Station) -> list[dict[str, Any]]:
    """The trail's settings entries, oldest first, as (actor, station, reason, detail)."""
    with station.db.read() as s:
        rows = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "event", AuditEntry.action == settings_service.EVENT)
            .order_by(AuditEntry.id)
        ).all()
        return [
            {
                "actor": e.actor,
                "station": e.station,
                "reason": e.reason,
                "subject": e.entity_id,
                **json.loads(e.new),
            }
            for e in rows
        ]


def entry_count(station: Station) -> int:
    with station.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def file_bytes(station: Station) -> bytes | None:
    path = station.location.data_dir / config.SETTINGS_FILE
    return path.read_bytes() if path.exists() else None


def documents_settings(station: Station) -> config.Settings:
    return station.location.settings.model_copy(
        update={
            "plant_name": "Goldsmiths of Pforzheim",
            "certificate_verify_url": VERIFY_URL,
            "certificate_stages": [Stage.FINAL_QC],
            "timestamp_url": TSA_URL,
        }
    )


@pytest.fixture
def saved_once(station: Station, admin: User) -> bytes:
    """A settings file the administrator saved (so the file exists before the attempt)."""
    settings_service.save(
        station, admin, station.location.settings.model_copy(update={"idle_lock_minutes": 7})
    )
    data = file_bytes(station)
    assert data is not None
    return data


@pytest.mark.parametrize("who", ["inspector", "supervisor"])
def test_x1_only_an_administrator_changes_the_verify_url_or_the_plant_name(
    station: Station, saved_once: bytes, who: str, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(who)
    before = entry_count(station)
    kept = station.location.settings
    with pytest.raises(PermissionDenied, match="only an administrator may change") as refused:
        settings_service.save(station, user, documents_settings(station))
    assert user.username in str(refused.value) and who in str(refused.value)
    assert file_bytes(station) == saved_once
    assert entry_count(station) == before
    assert station.location.settings == kept
    assert config.load_settings(station.location.data_dir)[0].plant_name == "qcstation plant"


def test_x1_an_administrators_change_is_in_the_trail_with_old_and_new_value(
    station: Station, admin: User
) -> None:
    saved = settings_service.save(station, admin, documents_settings(station))
    on_disk, warnings = config.load_settings(station.location.data_dir)
    assert warnings == [] and on_disk == saved == station.location.settings
    assert on_disk.plant_name == "Goldsmiths of Pforzheim"
    entries = {e["setting"]: e for e in setting_entries(station)}
    assert set(entries) == {
        "plant_name",
        "timestamp_url",
        "certificate_verify_url",
        "certificate_stages",
    }
    assert {(e["actor"], e["station"], e["reason"]) for e in entries.values()} == {
        ("alice", station.name, settings_service.REASON)
    }
    assert entries["plant_name"]["old"] == "qcstation plant"
    assert entries["plant_name"]["new"] == "Goldsmiths of Pforzheim"
    assert entries["plant_name"]["subject"] == "settings/plant_name"
    assert entries["certificate_verify_url"]["old"] is None
    assert entries["certificate_verify_url"]["new"] == VERIFY_URL
    assert entries["certificate_stages"]["old"] == ["final_qc", "packaging"]
    assert entries["certificate_stages"]["new"] == ["final_qc"]
    # A password in a URL: that it changed, never what it is.
    tsa = entries["timestamp_url"]
    assert tsa["new"] == "https://bench:(hidden)@tsa.example.com/rfc3161"
    assert tsa["old"] is None and tsa["password_changed"] is True
    with station.db.read() as s:
        trail = " ".join(s.scalars(select(AuditEntry.new).where(AuditEntry.new.is_not(None))))
    assert TSA_PASSWORD not in trail
    report = audit.verify(station)
    assert report.ok, report.findings

    # The next change names the value it replaces; an unchanged setting is not repeated.
    settings_service.save(station, admin, saved.model_copy(update={"certificate_verify_url": None}))
    last = setting_entries(station)[-1]
    assert len(setting_entries(station)) == 5
    assert (last["setting"], last["old"], last["new"]) == (
        "certificate_verify_url",
        VERIFY_URL,
        None,
    )
    assert audit.verify(station).ok


def test_a_save_that_changes_nothing_writes_no_entry(station: Station, admin: User) -> None:
    before = entry_count(station)
    settings_service.save(station, admin, station.location.settings)
    assert entry_count(station) == before
    assert config.load_settings(station.location.data_dir)[0] == station.location.settings


def test_a_settings_file_that_cannot_be_written_leaves_no_entry(
    station: Station, admin: User, saved_once: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = entry_count(station)

    def full_disk(data_dir: Any, settings: Any, by: str = "") -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(config, "save_settings", full_disk)
    with pytest.raises(OSError, match="No space left"):
        settings_service.save(station, admin, documents_settings(station))
    assert entry_count(station) == before  # the entries were rolled back with it
    assert file_bytes(station) == saved_once
    assert station.location.settings.plant_name == "qcstation plant"


def test_a_commit_that_fails_puts_the_previous_file_back(
    station: Station, admin: User, saved_once: bytes
) -> None:
    before = entry_count(station)
    with pytest.raises(RuntimeError, match="went away"):
        with_failing_commit(
            lambda: settings_service.save(station, admin, documents_settings(station))
        )
    assert file_bytes(station) == saved_once
    assert entry_count(station) == before
    assert audit.verify(station).ok


def test_a_first_save_whose_commit_fails_leaves_no_file(station: Station, admin: User) -> None:
    with pytest.raises(RuntimeError, match="went away"):
        with_failing_commit(
            lambda: settings_service.save(station, admin, documents_settings(station))
        )
    assert file_bytes(station) is None


def with_failing_commit(fn: Any) -> None:
    def boom(session: Session) -> None:
        raise RuntimeError("the server went away at COMMIT")

    event.listen(Session, "before_commit", boom)
    try:
        fn()
    finally:
        event.remove(Session, "before_commit", boom)
