"""Saving the station's settings file, by an administrator, each change in the audit trail.

settings.yaml lives in the station's data directory (config.save_settings); the audit trail
lives in the database. A save is one database transaction that

1. checks that the actor is an active administrator (PermissionDenied otherwise: nothing is
   written, neither the file nor the trail);
2. appends one signed ``setting`` event per changed setting, with its old value (what the
   file held) and its new one;
3. replaces the file atomically (config.save_settings: a temporary file, fsynced, renamed)
   while that transaction is still open;
4. commits.

So a failure never leaves a changed setting without its entry: if the file cannot be
written, the transaction rolls back and neither changes; if the commit fails after the file
was replaced, the previous file is put back (atomically, as it was, or removed if there was
none) before the error goes on. The one case left is a commit failure followed by a failure
to put the old file back: then the error says so, naming the file. Holding the trail's head
from step 2 to the commit also makes two saves on one plant database take turns.

The trail records the change made through qcstation, not the file: whoever has this
computer's account can still edit settings.yaml by hand (docs/security.md, X1).

No secret is recorded: a password typed into the database URL goes into the secret store
before anything is compared (services/station_secrets.py), and a password in any other URL
(a time-stamp server's ``https://user:password@...``) is recorded as changed or not, never
its value.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from qcstation import config
from qcstation.domain.users import Permission, User
from qcstation.services import station_secrets
from qcstation.services.accounts import require
from qcstation.services.context import Station
from qcstation.services.errors import PermissionDenied, ServiceError
from qcstation.store import audit, private

REASON = "change settings"
EVENT = "setting"
HIDDEN = config.HIDDEN


class SettingsNotRestored(ServiceError):
    """The commit failed after the file was replaced, and the old file could not be put
    back: the file holds settings the trail does not record."""


def save(station: Station, actor: User, settings: config.Settings) -> config.Settings:
    """Write settings.yaml in the data directory, each changed setting recorded in the audit
    trail as ``actor``'s (an administrator's) with its old and new value; see the module's
    docstring for the order. The running station follows at once (plant name, paper,
    certificate stages...); changes of database or data location take effect at the next
    start. A password typed into the database URL goes into the secret store, never into
    the file nor the trail (refused when no store is chosen)."""
    data_dir = station.location.data_dir
    path = data_dir / config.SETTINGS_FILE
    previous = path.read_bytes() if path.exists() else None
    written = False
    try:
        with station.db.write(actor, station.name, reason=REASON) as s:
            _require_administrator(s, actor)
            settings, _where = station_secrets.settings_without_password(station.location, settings)
            old, _warnings = config.load_settings(data_dir)  # what the file holds now
            for name, detail in changes(old, settings):
                audit.record_event(s, f"settings/{name}", EVENT, detail)
            config.save_settings(data_dir, settings, by=f"{actor.username} (Settings, audited)")
            written = True
    except BaseException as exc:
        if written:
            _put_back(path, previous, exc)
        raise
    station.location = replace(station.location, settings=settings)
    return settings


def _require_administrator(s: Session, actor: User) -> None:
    try:
        require(s, actor, Permission.ADMINISTER)
    except PermissionDenied as exc:
        raise PermissionDenied(
            f"{exc}: only an administrator may change this station's settings (nothing was saved)"
        ) from None


def changes(old: config.Settings, new: config.Settings) -> list[tuple[str, dict[str, Any]]]:
    """(setting, what the trail keeps) for each setting whose value differs, in the order
    Settings declares them."""
    return config.setting_changes(old, new)


def _put_back(path: Path, previous: bytes | None, failure: BaseException) -> None:
    try:
        if previous is None:
            path.unlink(missing_ok=True)
        else:
            private.write_atomically(path, previous)
    except OSError as exc:
        raise SettingsNotRestored(
            f"the settings change could not be recorded ({failure}), and the previous "
            f"{path} could not be put back ({exc.strerror or exc}): the file now holds "
            "settings the audit trail does not record; save the settings again"
        ) from failure
