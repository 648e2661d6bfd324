"""Setting up a station: schema, the first admin, the station itself, the shipped content."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from qcstation import content
from qcstation.domain.users import Permission, Role, User
from qcstation.services import accounts, audit, keys, station_keys, templates
from qcstation.services.accounts import require
from qcstation.services.context import Station
from qcstation.services.errors import Conflict, LoginFailed, PermissionDenied
from qcstation.store import schema
from qcstation.store.models import DefectCode, TemplateRow, UserRow
from qcstation.store.models import Station as StationRow


@dataclass(frozen=True)
class InitResult:
    schema_from: str | None
    schema_to: str
    admin: User
    station: str
    templates: list[str]
    defect_codes: int
    root_created: bool = False
    joined: bool = False  # an existing plant database: only this station was registered
    # A station of a plant server: its key (services/station_keys.py); None on SQLite.
    station_key: station_keys.StationKeyInfo | None = None
    resumed: bool = False  # an earlier init was cut short (killed, power lost): finished now


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

    Each step is its own transaction and each is done only when it is missing, so an init
    cut short (killed, power lost) is finished by running init again as the administrator
    it created: the shipped checklists, imported last, say that a set-up is complete.
    """
    before, after = schema.upgrade(station.db.engine)
    resumed = plant_exists(station)
    if resumed:
        if set_up_finished(station):
            return join(station, admin_name, password, before, after)
        admin = _interrupted_by(station, admin_name, password)
    else:
        accounts.create_user(station, None, admin_name, password, Role.ADMIN, full_name)
        admin = accounts.login(station, admin_name, password)  # signed in: she signs the rest
    register_station(station, admin)
    passphrase = root_passphrase or keys.root_passphrase(password)
    created = keys.setup_plant(station, admin, passphrase)
    if not created:
        keys.issue_pending(station, admin, passphrase)  # cut short before they were issued
    audit.pin(station)  # this station trusts this plant root from now on
    own_key = _station_key(station, admin, passphrase)
    codes = templates.import_catalog(station, admin, content.defect_catalog())
    result = templates.import_files(station, admin, content.shipped_templates())
    return InitResult(
        before,
        after,
        admin,
        station.name,
        result.imported + result.unchanged,
        codes,
        created,
        station_key=own_key,
        resumed=resumed,
    )


def set_up_finished(station: Station) -> bool:
    """True once a set-up got to its last step: the shipped checklists are imported."""
    with station.db.read() as s:
        return bool(s.scalar(select(func.count()).select_from(TemplateRow)))


def _interrupted_by(station: Station, admin_name: str, password: str) -> User:
    """The administrator an interrupted init created, signed in to finish it."""
    with station.db.read() as s:
        admins = s.scalars(
            select(UserRow.username).where(UserRow.role == Role.ADMIN.value).order_by(UserRow.id)
        ).all()
    try:
        admin = accounts.login(station, admin_name, password)
        with station.db.read() as s:
            require(s, admin, Permission.ADMINISTER)
    except (LoginFailed, PermissionDenied) as exc:
        raise Conflict(
            "an earlier init of this database was cut short before it finished: run init "
            f"again as the administrator it created ({', '.join(admins)}) with that "
            f"password to finish it ({exc})"
        ) from None
    return admin


def _station_key(
    station: Station, admin: User, passphrase: str | None
) -> station_keys.StationKeyInfo | None:
    """A station of a plant server signs what its outbox sends with a key of its own."""
    if station.location.is_sqlite:
        return None  # a lone bench sends nothing anywhere
    return station_keys.create(station, admin, passphrase)


def plant_exists(station: Station) -> bool:
    """True when the database holds a set-up plant (users exist) that init would join."""
    state, _rev = schema.state(station.db.engine)
    if state is schema.SchemaState.EMPTY:
        return False
    with station.db.read() as s:
        return bool(s.scalar(select(func.count()).select_from(UserRow)))


def join(
    station: Station, admin_name: str, password: str, before: str | None, after: str
) -> InitResult:
    """Register this station on a plant database that is set up already.

    An existing administrator vouches for the station (a wrong password counts toward the
    lockout). Users, templates, the defect catalog and keys already live on the server and
    are shared, so nothing else is imported: every station uses the server's active
    template versions.
    """
    try:
        admin = accounts.login(station, admin_name, password)
    except LoginFailed as exc:
        raise Conflict(
            "this database is set up already: to register this station on it, name an "
            f"existing administrator with --admin ({exc})"
        ) from None
    with station.db.read() as s:
        require(s, admin, Permission.ADMINISTER)
    audit.pin(station)  # the root this station joins is the one it trusts from now on
    if not register_station(station, admin):
        raise Conflict(
            f"a station named {station.name!r} is registered on this database already: "
            "give this one another name with --station (each station needs its own name)"
        )
    own_key = _station_key(station, admin, keys.root_passphrase(password))
    with station.db.read() as s:
        active = s.scalars(
            select(TemplateRow).where(TemplateRow.active).order_by(TemplateRow.template_key)
        ).all()
        shared = [f"{t.template_key}@{t.version}" for t in active]
        codes = s.scalar(select(func.count()).select_from(DefectCode)) or 0
    return InitResult(
        before, after, admin, station.name, shared, codes, False, joined=True, station_key=own_key
    )


def register_station(station: Station, actor: User) -> bool:
    """Add this station to the database once; True when it was new."""
    with station.db.write(actor, station.name, reason="register station") as s:
        if s.scalars(select(StationRow).where(StationRow.name == station.name)).first():
            return False
        s.add(StationRow(name=station.name, created_at=station.now()))
        return True
