"""Where a station keeps its secrets: the plant database password and its station key.

Two places, and which one is an explicit choice, never a silent fallback:

- ``keyring``: the operating system's credential store through the `keyring` package
  (Windows Credential Locker, macOS Keychain, the Secret Service of a Linux desktop).
  The secret is encrypted at rest under the user's login; other accounts cannot read it.
- ``file``: ``DATA_DIR/secrets.json``, mode 0600 inside the 0700 data directory. Other
  accounts cannot read it; the account that runs qcstation (and the machine's
  administrators, and whatever copies the disk) can. Meant for benches with no desktop
  keyring (a headless Linux, a kiosk account); docs/security.md weighs the two.

The choice, first that says: the ``secret_store`` setting (written by `qcstation init
--secret-store` or `qcstation secrets use`), then ``QCSTATION_SECRET_STORE``; with neither,
the OS keyring when this computer has a usable one. When nothing is chosen and there is no
keyring, a secret cannot be stored: the station says so and names the two ways out. A
keyring backend that keeps passwords in plain text (keyrings.alt) does not count as one.
The choice is logged when a store is opened and shown by `qcstation secrets status` and
`qcstation db check`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from qcstation.store import private

ENV_SECRET_STORE = "QCSTATION_SECRET_STORE"
FILE_NAME = "secrets.json"
KEYRING, FILE = "keyring", "file"
KINDS = (KEYRING, FILE)
FORMAT = "qcstation-secrets/1"
STATION_KEY = "station-key"

log = logging.getLogger("qcstation.secrets")


class SecretStoreError(RuntimeError):
    """No place to keep a secret, or the chosen one does not work; the message says what to do."""


class SecretStore(Protocol):
    kind: str
    where: str  # said to a person: which store, and where

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...

    def delete(self, name: str) -> None: ...


@dataclass(frozen=True)
class Choice:
    """Which store a data directory uses, and what chose it."""

    kind: str | None  # None: nothing chosen and no keyring on this computer
    reason: str
    backend: str = ""  # the keyring backend's name, when it is the keyring


# --- the OS keyring ------------------------------------------------------------------------


def keyring_backend() -> tuple[Any | None, str]:
    """This computer's keyring backend when it keeps secrets encrypted, else (None, why)."""
    try:
        import keyring
        from keyring.backends import chainer, fail, null
    except ImportError:  # pragma: no cover - keyring is a dependency
        return None, "the keyring package is not installed"
    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # a broken backend plugin: say so, do not crash
        return None, f"the keyring could not be opened ({exc})"
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if isinstance(backend, (fail.Keyring, null.Keyring)):
        return None, f"this computer has no OS keyring ({name})"
    inner = backend.backends if isinstance(backend, chainer.ChainerBackend) else [backend]
    if not inner:
        return None, f"this computer has no OS keyring ({name})"
    plain = [b for b in inner if type(b).__module__.startswith("keyrings.alt")]
    if plain:
        return None, f"the keyring backend {type(plain[0]).__module__} keeps secrets unprotected"
    return backend, name


class KeyringStore:
    kind = KEYRING

    def __init__(self, data_dir: Path, backend: Any, backend_name: str):
        # One entry per data directory: two stations on one computer keep theirs apart.
        self.service = f"qcstation:{data_dir}"
        self.backend = backend
        self.where = f"the OS keyring ({backend_name}), service {self.service!r}"

    def get(self, name: str) -> str | None:
        value = self.backend.get_password(self.service, name)
        return None if value is None else str(value)

    def set(self, name: str, value: str) -> None:
        self.backend.set_password(self.service, name, value)

    def delete(self, name: str) -> None:
        import keyring.errors

        with contextlib.suppress(keyring.errors.PasswordDeleteError):  # nothing kept
            self.backend.delete_password(self.service, name)


# --- a file only this account reads --------------------------------------------------------


class FileStore:
    kind = FILE

    def __init__(self, data_dir: Path):
        self.path = data_dir / FILE_NAME
        self.where = f"the file {self.path} (readable by this account only)"

    def _load(self) -> dict[str, str]:
        try:
            raw = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise SecretStoreError(
                f"{self.path} cannot be read ({exc}): fix or delete it"
            ) from None
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise SecretStoreError(f"{self.path} is not a qcstation secrets file")
        if private.exposed(self.path):
            # Someone widened it: narrow it back before anything is read from it.
            self.path.chmod(private.FILE_MODE)
            log.warning("%s was readable by other accounts; narrowed to 0600", self.path)
        return {str(k): str(v) for k, v in dict(raw.get("secrets", {})).items()}

    def _save(self, secrets: dict[str, str]) -> None:
        private.make_dir(self.path.parent)
        text = json.dumps({"format": FORMAT, "secrets": secrets}, indent=1, sort_keys=True)
        private.write_atomically(self.path, text.encode("utf-8"))

    def get(self, name: str) -> str | None:
        return self._load().get(name)

    def set(self, name: str, value: str) -> None:
        secrets = self._load()
        secrets[name] = value
        self._save(secrets)

    def delete(self, name: str) -> None:
        secrets = self._load()
        if secrets.pop(name, None) is not None:
            self._save(secrets)


# --- choosing ------------------------------------------------------------------------------


def choice(setting: str | None) -> Choice:
    """Which store: the setting, then the environment, then the keyring if there is one."""
    if setting:
        if setting not in KINDS:
            raise SecretStoreError(f"secret_store is {setting!r}; it takes keyring or file")
        kind, reason = setting, f"secret_store: {setting} in settings.yaml"
    elif os.environ.get(ENV_SECRET_STORE):
        kind = os.environ[ENV_SECRET_STORE].strip().lower()
        if kind not in KINDS:
            raise SecretStoreError(f"{ENV_SECRET_STORE} is {kind!r}; it takes keyring or file")
        reason = f"{ENV_SECRET_STORE}={kind}"
    else:
        backend, name = keyring_backend()
        if backend is None:
            return Choice(None, name)
        return Choice(KEYRING, "this computer's OS keyring (nothing else chosen)", name)
    if kind == KEYRING:
        backend, name = keyring_backend()
        if backend is None:
            raise SecretStoreError(
                f"secrets are to be kept in the OS keyring ({reason}), but {name}: install "
                "or unlock one, or choose the file with `qcstation secrets use file`"
            )
        return Choice(kind, reason, name)
    return Choice(kind, reason)


HOW_TO_CHOOSE = (
    "choose where this station keeps its secrets: `qcstation secrets use file` (a file in "
    "the data directory readable by this account only) or install an OS keyring and run "
    "`qcstation secrets use keyring`; at set-up, `qcstation init --secret-store file|keyring` "
    "(see docs/security.md)"
)


def open_store(data_dir: Path, setting: str | None) -> SecretStore | None:
    """The chosen store, or None when nothing is chosen and the computer has no keyring."""
    chosen = choice(setting)
    if chosen.kind is None:
        return None
    store: SecretStore
    if chosen.kind == KEYRING:
        backend, name = keyring_backend()
        store = KeyringStore(data_dir, backend, name)
    else:
        store = FileStore(data_dir)
    log.info("secrets of %s are kept in %s (%s)", data_dir, store.where, chosen.reason)
    return store


def require_store(data_dir: Path, setting: str | None, what: str) -> SecretStore:
    """The chosen store, or an error naming what could not be kept and how to choose."""
    store = open_store(data_dir, setting)
    if store is None:
        raise SecretStoreError(
            f"{what} must be kept somewhere safe, and {choice(setting).reason}, so nothing is "
            f"chosen: {HOW_TO_CHOOSE}. It is never written to a file in plain text."
        )
    return store


# --- the plant database password -----------------------------------------------------------


def _parsed(url: str) -> URL | None:
    """``url`` read as a database URL; None when it is not one (opening the database says
    so, naming what was given: there is no password to find or keep in it)."""
    try:
        return make_url(url)
    except ArgumentError:
        return None


def password_name(url: str | URL) -> str | None:
    """The name a database password is kept under: its role on its server."""
    parsed = _parsed(url) if isinstance(url, str) else url
    if parsed is None or parsed.get_backend_name() == "sqlite":
        return None
    return f"database-password:{parsed.username or ''}@{parsed.host or ''}:{parsed.port or 5432}"


def split_password(url: str) -> tuple[str, str | None]:
    """(the URL without its password, the password or None)."""
    parsed = _parsed(url)
    if parsed is None or parsed.password is None:
        return url, None
    # URL.set(password=None) means "leave it": build the URL again without one.
    bare = parsed._replace(password=None)
    return bare.render_as_string(hide_password=False), str(parsed.password)


def database_password(data_dir: Path, setting: str | None, url: str) -> str | None:
    """The stored password for ``url``'s role and server, if one was kept."""
    name = password_name(url)
    if name is None:
        return None
    try:
        store = open_store(data_dir, setting)
    except SecretStoreError as exc:
        log.warning("%s", exc)
        return None
    return store.get(name) if store is not None else None


def keep_database_password(data_dir: Path, setting: str | None, url: str) -> tuple[str, str]:
    """Move a password out of ``url`` into the store: (the URL without it, where it went)."""
    bare, password = split_password(url)
    name = password_name(url)
    if password is None or name is None:
        return url, ""
    store = require_store(data_dir, setting, "the plant database password")
    store.set(name, password)
    return bare, store.where
