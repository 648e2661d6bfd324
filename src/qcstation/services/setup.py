"""Setting up a station: schema, the first admin, the station itself, the shipped content."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from qcstation import content
from qcstation.domain.users import Role, User
from qcstation.services import accounts, keys, templates
from qcstation.services.context import Station
from qcstation.services.errors import Conflict
from qcstation.store import schema
from qcstation.store.models import Station as StationRow
from qcstation.store.models import UserRow


@dataclass(frozen=True)
class InitResult:
    schema_from: str | None
    schema_to: str
    admin: User
    station: str
    templates: list[str]
    defect_codes: int
    root_created: bool = False


def init(
    station: Station,
    admin_name: str,
    password: str,
    full_name: str = "",
    root_passphrase: str | None = None,
) -> InitResult:
    """Create (or upgrade) the schema, the first admin, this station, the plant root
    certificate, and load shipped content.

    The root's key is sealed under ``root_passphrase``; by default that is
    QCSTATION_ROOT_PASSPHRASE, else the admin's password (see keys.root_passphrase).
    """
    before, after = schema.upgrade(station.db.engine)
    with station.db.read() as s:
        if s.scalar(select(func.count()).select_from(UserRow)):
            raise Conflict(
                "this database is set up already; log in as an administrator to add users"
            )
    admin = accounts.create_user(station, None, admin_name, password, Role.ADMIN, full_name)
    register_station(station, admin)
    created = keys.setup_plant(station, admin, root_passphrase or keys.root_passphrase(password))
    codes = templates.import_catalog(station, admin, content.defect_catalog())
    result = templates.import_files(station, admin, content.shipped_templates())
    return InitResult(
        before, after, admin, station.name, result.imported + result.unchanged, codes, created
    )


def register_station(station: Station, actor: User) -> bool:
    """Add this station to the database once; True when it was new."""
    with station.db.write(actor.username, station.name, reason="register station") as s:
        if s.scalars(select(StationRow).where(StationRow.name == station.name)).first():
            return False
        s.add(StationRow(name=station.name, created_at=station.now()))
        return True
