"""The station a service call works on: its database, evidence store, name and clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import DBAPIError

from qcstation.config import ConfigError, Location
from qcstation.services.errors import NotInitialised, ServiceError
from qcstation.store import anchors, schema
from qcstation.store.database import (
    Database,
    DatabaseError,
    is_environmental,
    redact,
    sqlite_file,
    translate,
)
from qcstation.store.evidence import EvidenceStore
from qcstation.store.types import utcnow


@dataclass
class Station:
    """Everything a service needs; built once by the CLI or the app and passed in."""

    location: Location
    db: Database
    evidence: EvidenceStore
    name: str
    clock: Callable[[], datetime] = field(default=utcnow)

    def now(self) -> datetime:
        return self.clock()

    def close(self) -> None:
        self.db.dispose()


def connect(location: Location) -> Station:
    """Open the database without touching the schema (for init and db upgrade)."""
    db = Database(
        location.database_url, location.data_dir / anchors.FILE, location.database_password
    )
    return Station(
        location, db, EvidenceStore(location.evidence_dir), location.settings.station_name
    )


def open_station(location: Location) -> Station:
    """Open a station whose database is initialised and up to date, or say what to run."""
    station = connect(location)
    try:
        state, rev = schema.state(station.db.engine)
    except DBAPIError as exc:
        station.close()
        if not is_environmental(exc):
            raise
        raise translate(exc, location.database_url) from None
    except Exception:
        station.close()
        raise
    if state is schema.SchemaState.CURRENT:
        return station
    station.close()
    if state is schema.SchemaState.EMPTY:
        raise NotInitialised(
            f"no qcstation database at {station.db.url if location.is_sqlite else 'that URL'}: "
            "run `qcstation init --admin NAME` first"
        )
    if state is schema.SchemaState.BEHIND:
        raise NotInitialised(
            f"the database is at schema {rev}, this qcstation needs {schema.head()}: "
            "run `qcstation db upgrade`"
            + (
                " (it copies the database to backups/ first)"
                if location.is_sqlite
                else " once the plant's DBA has backed the database up (docs/data.md)"
            )
        )
    raise DatabaseError(
        f"this database was made by a newer qcstation (schema {rev}); this one knows up to "
        f"{schema.head()}: install the newer qcstation"
    )


def open_if_set_up(location: Location) -> tuple[Station | None, str]:
    """(the station, "") when a station database is set up at ``location``; (None, why not)
    when there is none to open, for the checks that work without one (signatures)."""
    if location.is_sqlite:
        db_file = sqlite_file(location.database_url)
        if db_file is None or not db_file.exists():
            return None, "no station database here"
    try:
        return open_station(location), ""
    except (ServiceError, DatabaseError) as exc:
        return None, f"no station database to compare with ({exc})"


def shown_url(url: str) -> str:
    """A database URL as a person is shown it: without its password."""
    return redact(url)


__all__ = [
    "ConfigError",
    "Station",
    "connect",
    "open_if_set_up",
    "open_station",
    "shown_url",
]
