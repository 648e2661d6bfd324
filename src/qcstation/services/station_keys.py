"""Each station of a plant has a key of its own: it signs what the station's outbox sends.

An ECDSA P-256 key, a ``signing_keys`` row of kind "station" (no user), certified by the
plant root with OU ``station:NAME``. Its private key never enters the database: it is kept
in the station's secret store (store/secret_store.py). It is made when a station is set up
on a plant server or joins one (`qcstation init`), is certified then when the root
passphrase opens the root (else by `qcstation keys issue`), and is renewed or revoked by an
administrator (`qcstation keys station`).

What it proves, and what not: a record signed with it was queued at that station, by the
qcstation that holds the station's secrets. Whoever controls the bench's OS account holds
the key too; so the server also checks each row against its inspector's own signed audit
entries (services/sync_checks.py): a station key cannot make anyone's work but its own
users' look genuine, nor a failed piece pass.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.orm import Session

from qcstation import config
from qcstation.accounts import keys
from qcstation.domain.users import Permission, User
from qcstation.services import _keyring
from qcstation.services.accounts import require
from qcstation.services.context import Station
from qcstation.services.errors import InvalidInput, NotFound, SigningRefused
from qcstation.store import secret_store
from qcstation.store.models import SigningKeyRow

STATION = "station"
OUTBOX_FORMAT = "qcstation-outbox/1"


def unit(station_name: str) -> str:
    """The OU of a station's certificate."""
    return f"station:{station_name}"


def outbox_message(station: str, record_id: str, version: int, payload_sha256: str) -> bytes:
    """The bytes a station signs for one outbox record."""
    return f"{OUTBOX_FORMAT}\n{station}\n{record_id}\n{version}\n{payload_sha256}".encode()


@dataclass(frozen=True)
class StationKey:
    """This station's private key, opened from its secret store."""

    station: str
    key_id: str
    private_key: ec.EllipticCurvePrivateKey

    def sign_outbox(self, record_id: str, version: int, payload_sha256: str) -> str:
        message = outbox_message(self.station, record_id, version, payload_sha256)
        return base64.b64encode(keys.sign(self.private_key, message)).decode("ascii")


@dataclass(frozen=True)
class StationKeyInfo:
    station: str
    key_id: str
    certified: bool


def _store(location: config.Location) -> secret_store.SecretStore:
    return secret_store.require_store(
        location.data_dir, location.settings.secret_store, "this station's key"
    )


def load(location: config.Location) -> StationKey:
    """This station's key from its secret store, or what to do when it has none."""
    raw = _store(location).get(secret_store.STATION_KEY)
    name = location.settings.station_name
    if raw is None:
        raise SigningRefused(
            f"station {name!r} has no station key to sign what it sends: an administrator "
            "runs `qcstation keys station` on this station"
        )
    kept = json.loads(raw)
    if kept.get("station") != name:
        raise SigningRefused(
            f"the station key kept here is station {kept.get('station')!r}'s, but this station "
            f"is {name!r}: an administrator runs `qcstation keys station` on this station"
        )
    key = serialization.load_pem_private_key(kept["pem"].encode("ascii"), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return StationKey(name, str(kept["key_id"]), key)


def station_rows(session: Session, station_name: str) -> list[SigningKeyRow]:
    return [
        row
        for row in session.scalars(
            select(SigningKeyRow).where(SigningKeyRow.kind == STATION).order_by(SigningKeyRow.id)
        )
        if named(row) == station_name
    ]


def named(row: SigningKeyRow) -> str | None:
    """The station a station key was made for: its certificate's OU, else its subject's."""
    prefix = unit("")
    if row.certificate:
        try:
            found = keys.certificate_unit(keys.load_certs_pem(row.certificate)[0])
        except keys.KeyFileError:
            found = None
        return found[len(prefix) :] if found and found.startswith(prefix) else None
    at = row.subject.rfind("OU=" + prefix)  # the OU comes last in the subject we write
    return row.subject[at + 3 + len(prefix) :] if at >= 0 else None


def certify(
    row: SigningKeyRow, station_name: str, plant: _keyring.PlantKeys, now: datetime
) -> None:
    public = keys.load_public_pem(row.public_key)
    cert = keys.issue(
        plant.root_key, plant.root, public, f"{station_name} station", now, unit(station_name)
    )
    row.certificate = keys.cert_pem(cert)
    row.not_after = cert.not_valid_after_utc
    row.subject = keys.subject_text(cert)
    row.issued_at = now


def certified_for(
    row: SigningKeyRow, station_name: str, root: x509.Certificate | None
) -> str | None:
    """Why ``row`` does not speak for station ``station_name`` under ``root``; None if it does."""
    if row.kind != STATION:
        return "it is not a station key"
    if row.revoked_at is not None:
        return f"it was revoked on {row.revoked_at:%Y-%m-%d %H:%M} UTC ({row.revocation_reason})"
    if root is None:
        return "the plant has no root certificate to check it against"
    if not row.certificate:
        return "the plant root has not certified it yet (`qcstation keys issue`)"
    try:
        cert = keys.load_certs_pem(row.certificate)[0]
    except keys.KeyFileError:
        return "its certificate is damaged"
    if keys.key_id(keys.certificate_public_key(cert)) != row.key_id:
        return "its certificate is for another key"
    if not keys.issued_by(cert, root):
        return "its certificate was not issued by the plant root"
    if keys.certificate_unit(cert) != unit(station_name):
        return f"its certificate is for {keys.certificate_unit(cert)!r}"
    return None


def create(station: Station, admin: User, root_passphrase: str | None = None) -> StationKeyInfo:
    """A new key for this station (its older ones are retired), kept in its secret store;
    certified at once when ``root_passphrase`` opens the plant root."""
    name = station.name
    store = _store(station.location)
    key = keys.new_signing_key()
    key_id = keys.key_id(key.public_key())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    previous = store.get(secret_store.STATION_KEY)
    # Kept first: a key row whose private key was lost would be of no use to anyone.
    store.set(secret_store.STATION_KEY, json.dumps({"station": name, "key_id": key_id, "pem": pem}))
    try:
        with station.db.write(admin, name, reason=f"station key for {name}") as s:
            me = require(s, admin, Permission.ADMINISTER)
            now = station.now()
            for old in station_rows(s, name):
                if old.retired_at is None and old.revoked_at is None:
                    old.retired_at = now
            row = _keyring._new_row(
                STATION,
                key,
                now,
                origin=_keyring.PLANT,
                user_id=None,
                subject=f"CN={name} station, OU={unit(name)}"[:255],
                certificate=None,
                created_by_id=me.id,
            )
            # The private key is in the station's secret store, never in the database.
            row.encrypted_key = ""
            s.add(row)
            plant = _open_plant(s, root_passphrase)
            if plant is not None:
                certify(row, name, plant, now)
            certified = row.certificate is not None
    except BaseException:
        if previous is None:
            store.delete(secret_store.STATION_KEY)
        else:
            store.set(secret_store.STATION_KEY, previous)
        raise
    return StationKeyInfo(name, key_id, certified)


def _open_plant(s: Session, passphrase: str | None) -> _keyring.PlantKeys | None:
    if not passphrase:
        return None
    try:
        return _keyring.unlock_plant(s, passphrase)
    except (InvalidInput, SigningRefused):
        return None  # pending: `keys issue` certifies it with the root passphrase


def pending(session: Session, root: x509.Certificate | None) -> list[SigningKeyRow]:
    """Station keys waiting for the plant root's certificate."""
    return [
        row
        for row in session.scalars(
            select(SigningKeyRow)
            .where(
                SigningKeyRow.kind == STATION,
                SigningKeyRow.revoked_at.is_(None),
                SigningKeyRow.retired_at.is_(None),
            )
            .order_by(SigningKeyRow.id)
        )
        if named(row) is not None and certified_for(row, str(named(row)), root) is not None
    ]


def revoke(station: Station, admin: User, station_name: str, reason: str) -> int:
    """Revoke a station's keys (a stolen or retired bench): what it sends is refused."""
    reason = reason.strip()
    if len(reason) < 3:
        raise InvalidInput("give a reason for the revocation (it is kept in the audit trail)")
    with station.db.write(admin, station.name, reason=f"revoke station key: {reason}") as s:
        me = require(s, admin, Permission.ADMINISTER)
        rows = [r for r in station_rows(s, station_name) if r.revoked_at is None]
        if not station_rows(s, station_name):
            raise NotFound(f"station {station_name!r} has no station key")
        for row in rows:
            row.revoked_at = station.now()
            row.revoked_by_id = me.id
            row.revocation_reason = reason
        return len(rows)
