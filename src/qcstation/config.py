"""Where a station keeps its data and how it is configured.

Order of precedence for each setting: command-line option, environment variable,
the settings file in the data directory, the default declared here.
"""

from __future__ import annotations

__all__ = [
    "ENV_DATABASE_URL",
    "ENV_DATA_DIR",
    "ConfigError",
    "InstrumentSetting",
    "Location",
    "Settings",
    "default_data_dir",
    "load_settings",
    "resolve",
    "save_settings",
    "setting_changes",
]

import logging
import os
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from qcstation.domain.instruments import BAUD_RATES, ProtocolName
from qcstation.domain.stages import Stage
from qcstation.domain.yaml_files import structure_problems
from qcstation.paths import ENV_DATA_DIR, ENV_DATABASE_URL, choose_data_dir, default_data_dir
from qcstation.store import private

SETTINGS_FILE = "settings.yaml"
DATABASE_FILE = "qcstation.db"


class InstrumentSetting(BaseModel):
    """A balance or caliper on a serial port (domain/instruments.py, docs/instruments.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(
        min_length=1, max_length=40, description="what the station calls it: Balance, Caliper"
    )
    port: str = Field(
        min_length=1, max_length=200, description="COM3 on Windows, /dev/ttyUSB0 on Linux"
    )
    protocol: ProtocolName
    baud: int = Field(default=9600, description="as set on the instrument")
    timeout_s: float = Field(
        default=5.0, ge=0.5, le=60, description="how long a reading waits for the instrument"
    )

    @field_validator("name", "port")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        if value != value.strip():
            raise ValueError("no spaces before or after")
        return value

    @field_validator("baud")
    @classmethod
    def _known_baud(cls, value: int) -> int:
        if value not in BAUD_RATES:
            raise ValueError(f"baud rate {value} is none of {', '.join(map(str, BAUD_RATES))}")
        return value


class Settings(BaseModel):
    """Every station setting, declared once with its type and default."""

    model_config = ConfigDict(extra="forbid")

    station_name: str = Field(default_factory=lambda: socket.gethostname()[:64] or "station")
    database_url: str | None = Field(
        default=None, description="PostgreSQL URL of a plant server; empty: the local SQLite file"
    )
    evidence_dir: str | None = Field(
        default=None, description="shared evidence folder; empty: evidence/ in the data directory"
    )
    capture_key: str = Field(
        default="F9",
        description="keeps the microscope's picture from anywhere on the checklist, also from "
        "a field; give a foot pedal a key nobody types (F9, Pause). Space also captures "
        "outside text fields",
    )
    secret_store: Literal["keyring", "file"] | None = Field(
        default=None,
        description="where the plant database password and the station key are kept: the OS "
        "keyring, or a file in the data directory readable by this account only; empty: the "
        "OS keyring when this computer has one (store/secret_store.py)",
    )
    idle_lock_minutes: int = Field(default=5, ge=1, le=240)
    theme: Literal["light", "dark", "high_contrast"] = "light"
    language: str = "en"
    # Signed reports and customer certificates (issue 6).
    plant_name: str = Field(
        default="qcstation plant",
        min_length=1,
        max_length=64,
        description="the plant's name on reports, certificates and the root certificate",
    )
    paper_size: Literal["a4", "letter"] = "a4"
    timestamp_url: str | None = Field(
        default=None,
        description="RFC 3161 time-stamp server: reports are signed PAdES B-T; empty: B-B",
    )
    certificate_verify_url: str | None = Field(
        default=None,
        description="URL pattern for certificate QR codes, with {payload} (and optionally "
        "{number}) in it, e.g. https://example.com/verify?c={payload}; empty: the bare payload",
    )
    certificate_stages: list[Stage] = Field(
        default_factory=lambda: [Stage.FINAL_QC, Stage.PACKAGING],
        min_length=1,
        description="the stages whose inspections may get a customer certificate (an "
        "administrator's setting): a certificate speaks of the finished piece, never of an "
        "in-process stage",
    )
    # Microscope imaging (issue 4).
    calibration_max_age_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description="a calibration older than this flags measurements until it is re-verified",
    )
    magnifications: list[str] = Field(
        default_factory=lambda: ["1.0x"],
        min_length=1,
        description="the microscope's zoom or objective settings; each has its own calibration",
    )
    camera_index: int | None = Field(
        default=None, ge=0, description="the microscope camera's device; empty: the first listed"
    )
    camera_mode: dict[str, int | float | str] | None = Field(
        default=None,
        description="resolution, frame rate and pixel format (imaging.source.Mode); empty: "
        "the camera's best; a mode it does not offer gives the nearest it does",
    )
    camera_controls: dict[str, float] = Field(
        default_factory=dict,
        description="exposure, gain, white balance, focus... applied when the camera connects",
    )
    # Readings straight from a balance or caliper (issue 15).
    instruments: list[InstrumentSetting] = Field(
        default_factory=list,
        max_length=4,
        description="serial balances and calipers; a measurement item reads from the first "
        "one measuring its unit (g, ct: a balance; mm: a caliper)",
    )

    @field_validator("instruments")
    @classmethod
    def _one_port_one_name(cls, value: list[InstrumentSetting]) -> list[InstrumentSetting]:
        for what in ("port", "name"):
            seen = [getattr(s, what) for s in value]
            twice = sorted({x for x in seen if seen.count(x) > 1})
            if twice:
                raise ValueError(f"two instruments have the {what} {twice[0]!r}")
        return value


class ConfigError(RuntimeError):
    """A data directory or setting that cannot be used; the message says what to do."""


@dataclass(frozen=True)
class Location:
    """Resolved paths and database URL for one run of qcstation."""

    data_dir: Path
    database_url: str  # never with a password in it: that is database_password
    settings: Settings
    warnings: tuple[str, ...] = ()
    # From the secret store (store/secret_store.py), for the URL's role on its server.
    database_password: str | None = field(default=None, repr=False, compare=False)

    @property
    def evidence_dir(self) -> Path:
        return (
            Path(self.settings.evidence_dir)
            if self.settings.evidence_dir
            else (self.data_dir / "evidence")
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(data_dir: Path) -> tuple[Settings, list[str]]:
    """Read settings.yaml; a damaged file gives the defaults and a warning, never a crash."""
    path = data_dir / SETTINGS_FILE
    if not path.exists():
        return Settings(), []
    try:
        text = path.read_text(encoding="utf-8")
        # A settings file comes back with a restored backup: aliases ("billion laughs")
        # or deep nesting there would hang or crash every start, not just this read.
        refused = structure_problems(text, str(path))
        if refused:
            raise ValueError(f"line {refused[0].line}: {refused[0].message}")
        raw = yaml.safe_load(text) or {}
        if not isinstance(raw, dict):
            raise ValueError("expected a mapping of settings")
        return Settings.model_validate(raw), []
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError, ValidationError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if isinstance(exc, ValidationError) and exc.errors():
            # the setting at fault, not "1 validation error for Settings"
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"])
            first = f"{where}: {error['msg']}" if where else error["msg"]
        return Settings(), [
            f"the settings file {path} could not be read ({first}); "
            "starting with default settings — fix or delete the file"
        ]


HIDDEN = "(hidden)"
# scheme://user:password@host — the password part, wherever a URL stands in a setting.
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/@:\s]*:)(?P<pw>[^/@\s]*)@")
_log = logging.getLogger("qcstation.settings")


def save_settings(data_dir: Path, settings: Settings, by: str = "qcstation") -> None:
    """Replace settings.yaml; each changed setting goes to the log with its old and new
    value (a URL's password hidden) and ``by``, what wrote it. Only the Settings service
    also records the change in the audit trail; set-up commands (init, secrets use,
    db roles) run with the OS account's or the database owner's power and leave the log."""
    old, _warnings = load_settings(data_dir)
    text = yaml.safe_dump(settings.model_dump(mode="json", exclude_defaults=True), sort_keys=True)
    # Atomic, so a power cut never leaves an empty file that would start the station on
    # defaults; 0600, as everything in the data directory.
    private.write_atomically(data_dir / SETTINGS_FILE, text.encode("utf-8"))
    for _name, detail in setting_changes(old, settings):
        _log.info(
            "%s: %s changed by %s: %r -> %r%s",
            data_dir / SETTINGS_FILE,
            detail["setting"],
            by,
            detail["old"],
            detail["new"],
            " (password changed)" if detail.get("password_changed") else "",
        )


def setting_changes(old: Settings, new: Settings) -> list[tuple[str, dict[str, object]]]:
    """(setting, what may be kept of the change) for each setting whose value differs, in
    the order Settings declares them; a password in a URL is never kept, only whether it
    changed."""
    before = old.model_dump(mode="json")
    after = new.model_dump(mode="json")
    out = []
    for name in Settings.model_fields:
        if before.get(name) == after.get(name):
            continue
        detail: dict[str, object] = {"setting": name}
        old_value, old_secret = _shown(before.get(name))
        new_value, new_secret = _shown(after.get(name))
        detail["old"], detail["new"] = old_value, new_value
        if old_secret is not None or new_secret is not None:
            detail["password_changed"] = old_secret != new_secret
        out.append((name, detail))
    return out


def _shown(value: object) -> tuple[object, str | None]:
    """The value as a trail or log may keep it, and the password it hid (None if none)."""
    if not isinstance(value, str):
        return value, None
    found = _URL_PASSWORD.search(value)
    if found is None:
        return value, None
    return _URL_PASSWORD.sub(lambda m: f"{m['head']}{HIDDEN}@", value), found["pw"]


def ensure_writable(data_dir: Path) -> None:
    try:
        private.make_dir(data_dir)
        probe = data_dir / ".write-test"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            f"cannot write to the data directory {data_dir}: {exc.strerror or exc}. "
            f"Fix its permissions or choose another with --data-dir (or {ENV_DATA_DIR})"
        ) from None


def resolve(data_dir: str | Path | None = None, database_url: str | None = None) -> Location:
    """Work out where this run keeps its data; creates and checks the data directory."""
    path = choose_data_dir(data_dir)
    narrowed = private.tighten(path)  # what an older qcstation left readable by others
    ensure_writable(path)
    settings, warnings = load_settings(path)
    if narrowed:  # an older qcstation's data directory: noted in the log, checked by db check
        logging.getLogger("qcstation.files").warning(
            "narrowed to this account only: %s", ", ".join(str(p) for p in narrowed)
        )
    if settings.database_url:
        settings = _password_out_of_settings(path, settings, warnings)
    url = (
        database_url
        or os.environ.get(ENV_DATABASE_URL)
        or settings.database_url
        or f"sqlite:///{path / DATABASE_FILE}"
    )
    password = None
    if not url.startswith("sqlite"):
        from qcstation.store import secret_store

        url, password = secret_store.split_password(url)
        if password is None:
            password = secret_store.database_password(path, settings.secret_store, url)
    return Location(path, url, settings, tuple(warnings), password)


def _password_out_of_settings(path: Path, settings: Settings, warnings: list[str]) -> Settings:
    """An older settings.yaml keeps the plant database password in its URL, in plain text:
    move it into the secret store and write the file again without it (said once)."""
    from qcstation.store import secret_store

    bare, password = secret_store.split_password(str(settings.database_url))
    if password is None:  # none, or not a URL (opening the database will say so)
        return settings
    try:
        _bare, where = secret_store.keep_database_password(
            path, settings.secret_store, str(settings.database_url)
        )
    except secret_store.SecretStoreError as exc:
        warnings.append(
            f"{path / SETTINGS_FILE} holds the plant database password in plain text, and it "
            f"stays there until a safe place is chosen: {exc}"
        )
        return settings
    moved = settings.model_copy(update={"database_url": bare})
    save_settings(path, moved, by="the start (password moved to the secret store)")
    warnings.append(
        f"the plant database password was moved from {path / SETTINGS_FILE} into {where}; "
        "the settings file keeps the URL without it"
    )
    return moved
