"""The station's secrets as an administrator sees them: where they are kept, moving them to
another store, and giving the station its plant database password.

The values never leave the store through here: status names what is kept, not what it is.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass, field

from qcstation import config
from qcstation.store import private, secret_store
from qcstation.store.secret_store import STATION_KEY, SecretStoreError


@dataclass(frozen=True)
class SecretsStatus:
    kind: str | None  # keyring | file | None (nothing chosen, no keyring here)
    reason: str  # what chose it, or why nothing is
    where: str  # said to a person
    kept: list[str] = field(default_factory=list)  # names of what is kept (never values)
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        if self.kind is None:
            return [f"secrets: nowhere chosen ({self.reason})"]
        out = [f"secrets: kept in {self.where}", f"  chosen by {self.reason}"]
        out += [f"  holds {name}" for name in self.kept] or ["  holds nothing yet"]
        return out


def _names(location: config.Location) -> list[str]:
    names = [STATION_KEY]
    password = secret_store.password_name(location.database_url)
    if password is not None:
        names.insert(0, password)
    return names


def status(location: config.Location) -> SecretsStatus:
    setting = location.settings.secret_store
    problems: list[str] = []
    try:
        chosen = secret_store.choice(setting)
        store = secret_store.open_store(location.data_dir, setting)
    except SecretStoreError as exc:
        return SecretsStatus(None, str(exc), "", problems=[str(exc)])
    if _password_in_settings(location):
        problems.append(
            f"{location.data_dir / config.SETTINGS_FILE} holds the plant database password in "
            "plain text: choose a secret store and start qcstation again to move it"
        )
    if store is None:
        return SecretsStatus(None, chosen.reason, "", problems=problems)
    kept = [name for name in _names(location) if store.get(name) is not None]
    if isinstance(store, secret_store.FileStore) and store.path.exists():
        file_mode = stat.S_IMODE(store.path.stat().st_mode)
        if private.exposed(store.path):
            problems.append(f"{store.path} is mode {file_mode:o}: other users can read it")
    return SecretsStatus(store.kind, chosen.reason, store.where, kept, problems)


def _password_in_settings(location: config.Location) -> bool:
    url = location.settings.database_url
    if not url:
        return False
    return secret_store.split_password(url)[1] is not None


def use(location: config.Location, kind: str) -> tuple[config.Settings, list[str]]:
    """Keep this station's secrets in ``kind`` from now on; what the old store held moves
    over (and is removed there). Returns the saved settings and what moved."""
    if kind not in secret_store.KINDS:
        raise SecretStoreError(f"choose keyring or file, not {kind!r}")
    old = secret_store.open_store(location.data_dir, location.settings.secret_store)
    new = secret_store.open_store(location.data_dir, kind)
    assert new is not None  # an explicit kind either opens or raises
    moved = []
    if old is not None and old.where != new.where:
        for name in _names(location):
            value = old.get(name)
            if value is not None:
                new.set(name, value)
                old.delete(name)
                moved.append(name)
    settings = location.settings.model_copy(update={"secret_store": kind})
    if _password_in_settings(location):
        settings, _where = settings_without_password(location, settings)
        moved.append(f"the database password, out of {config.SETTINGS_FILE}")
    config.save_settings(location.data_dir, settings, by=f"`qcstation secrets use {kind}`")
    return settings, moved


def prepare_plant_station(location: config.Location) -> str:
    """Before a station of a plant server is set up: the secret store its key goes to, with
    the database password given for it (if any) kept there now. Returns where; raises
    SecretStoreError, before anything is written, when there is no store to keep them in."""
    store = secret_store.require_store(
        location.data_dir, location.settings.secret_store, "this station's key"
    )
    name = secret_store.password_name(location.database_url)
    if location.database_password is not None and name is not None:
        store.set(name, location.database_password)
    return store.where


def set_database_password(location: config.Location, password: str) -> str:
    """Keep the plant database password for the URL in settings; returns where it went."""
    name = secret_store.password_name(location.database_url)
    if name is None:
        raise SecretStoreError(
            "this station keeps its data in its own SQLite file: it has no database password"
        )
    store = secret_store.require_store(
        location.data_dir, location.settings.secret_store, "the plant database password"
    )
    store.set(name, password)
    return store.where


def settings_without_password(
    location: config.Location, settings: config.Settings
) -> tuple[config.Settings, str]:
    """Settings about to be saved, with a password typed into the database URL moved into
    the secret store first: (what to save, where the password went or "")."""
    if not settings.database_url:
        return settings, ""
    bare, where = secret_store.keep_database_password(
        location.data_dir, settings.secret_store, settings.database_url
    )  # not a URL: kept as typed; the connection test and the next start say so
    return settings.model_copy(update={"database_url": bare}), where


def switch_login(location: config.Location, url: str, password: str, station_name: str) -> str:
    """Make this station (``station_name``) connect as ``url``, its own login, with
    ``password``: the password goes into the store, the URL and name into settings.yaml,
    and a password kept for the URL used until now (the owner's, at set-up) is forgotten.
    Returns where the password went."""
    store = secret_store.require_store(
        location.data_dir, location.settings.secret_store, "the station's database password"
    )
    new_name = secret_store.password_name(url)
    old_name = secret_store.password_name(location.database_url)
    assert new_name is not None
    store.set(new_name, password)
    if old_name is not None and old_name != new_name:
        store.delete(old_name)
    config.save_settings(
        location.data_dir,
        location.settings.model_copy(update={"database_url": url, "station_name": station_name}),
        by="`qcstation db roles` (the station's own login)",
    )
    return store.where
