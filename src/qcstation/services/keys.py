"""The plant's signing keys as an administrator and a user see them.

- The plant root, the QR seal and the plant document key it certifies are made by
  `qcstation init`, their keys sealed under the root passphrase: ``QCSTATION_ROOT_PASSPHRASE``
  for scripted set-ups, otherwise the first administrator's password (``root_passphrase``).
- Every user gets a key sealed under their password when created; its certificate is
  issued then (given the root passphrase) or later by ``issue_pending``.
- A user may bring a company-PKI identity (PKCS#12) instead; an administrator's
  ``issue_pending`` approves it.
- The seal and the document key are wrapped to supervisors and administrators only
  (services/_plant_keys.py); ``rotate`` replaces them, ``revoke`` takes them back and says
  (or, given the root passphrase, does) what a revoked holder makes necessary.
- ``revoke`` stops a user's signing; signatures made after it fail verification.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from sqlalchemy import select
from sqlalchemy.orm import Session

from qcstation.accounts import keys
from qcstation.domain.signing import KeyInfo, KeyStatus
from qcstation.domain.users import Permission, User
from qcstation.services import _keyring, _plant_keys, station_keys
from qcstation.services.accounts import login, require
from qcstation.services.context import Station
from qcstation.services.errors import InvalidInput, NotFound
from qcstation.store import audit
from qcstation.store.models import SigningKeyRow, UserRow

ENV_ROOT_PASSPHRASE = "QCSTATION_ROOT_PASSPHRASE"


def root_passphrase(admin_password: str) -> str:
    """The root passphrase for a new plant: the environment's, else the admin's password.

    Reusing the password keeps a one-person station simple (one secret to remember);
    a plant that wants the root held apart sets QCSTATION_ROOT_PASSPHRASE at init.
    When that administrator changes password, the root follows (accounts.change_password).
    """
    return os.environ.get(ENV_ROOT_PASSPHRASE) or admin_password


def setup_plant(station: Station, admin: User, passphrase: str) -> bool:
    """Create the root and seal if the plant has none; issue what is pending. True if new."""
    with station.db.write(admin, station.name, reason="create plant root") as s:
        require(s, admin, Permission.ADMINISTER)
        if _keyring.plant_row(s, _keyring.ROOT) is not None:
            return False
        plant = station.location.settings.plant_name
        _keyring.create_plant(s, station.now(), plant, passphrase, admin.id)
    issue_pending(station, admin, passphrase)
    return True


@dataclass(frozen=True)
class Rotated:
    retired: tuple[str, ...]  # key ids of the seal and document key retired
    seal_key_id: str
    document_key_id: str
    wraps: int  # how many reviewers' keys received the new ones (two wraps each)


def rotate(station: Station, admin: User, passphrase: str) -> Rotated:
    """A new certificate seal and plant document key, wrapped to supervisors and
    administrators only; the old ones are retired (what they signed before stays valid,
    anything dated after is not) and taken back from everyone."""
    with station.db.write(admin, station.name, reason="rotate the plant's issuing keys") as s:
        me = require(s, admin, Permission.ADMINISTER)
        plant = _keyring.unlock_plant(s, passphrase)
        name = station.location.settings.plant_name
        old, wraps = _plant_keys.rotate(s, plant, name, passphrase, station.now(), me.id)
        seal = _keyring.plant_row(s, _keyring.SEAL)
        document = _keyring.plant_row(s, _keyring.DOCUMENT)
        assert seal is not None and document is not None
        return Rotated(tuple(r.key_id for r in old), seal.key_id, document.key_id, wraps)


def warnings(station: Station) -> list[str]:
    """The plant keys that must be rotated, in words (empty when none)."""
    with station.db.read() as s:
        return _plant_keys.warnings(s)


@dataclass(frozen=True)
class PendingKey:
    """A key waiting for an administrator, with what approving it would vouch for."""

    username: str
    full_name: str
    role: str
    key_id: str  # SHA-256 of the public key: the fingerprint to compare with its owner's
    origin: str  # plant (made here) | imported (a PKCS#12 the user brought)
    subject: str  # what the key's own certificate says (imported), or the name it will get
    issuer: str  # who issued that certificate (imported), or "" for a key made here
    created_at: datetime
    created_by: str


def pending(station: Station) -> list[PendingKey]:
    """Keys an administrator would issue or approve, each with what it claims."""
    with station.db.read() as s:
        root = _keyring.plant_row(s, _keyring.ROOT)
        root_cert = keys.load_certs_pem(root.certificate or "")[0] if root else None
        out = []
        for row, user in _candidates(s):
            if root_cert is not None and not _needs_issue(s, row, user, root_cert):
                continue
            issuer = ""
            if row.origin == _keyring.IMPORTED and row.certificate:
                own = keys.load_certs_pem(row.chain or row.certificate)[0]
                issuer = ", ".join(f"{a.rfc4514_attribute_name}={a.value!s}" for a in own.issuer)
            maker = s.get(UserRow, row.created_by_id) if row.created_by_id else None
            out.append(
                PendingKey(
                    user.username,
                    user.full_name,
                    user.role,
                    row.key_id,
                    row.origin,
                    row.subject,
                    issuer,
                    row.created_at,
                    maker.username if maker else "?",
                )
            )
        for row in station_keys.pending(s, root_cert):  # a station's, made at init or join
            maker = s.get(UserRow, row.created_by_id) if row.created_by_id else None
            name = station_keys.named(row)
            out.append(
                PendingKey(
                    station_keys.unit(str(name)),
                    f"{name} station",
                    station_keys.STATION,
                    row.key_id,
                    row.origin,
                    row.subject,
                    "",
                    row.created_at,
                    maker.username if maker else "?",
                )
            )
        return out


def _candidates(s: Session) -> list[tuple[SigningKeyRow, UserRow]]:
    return [
        (row, user)
        for row, user in s.execute(
            select(SigningKeyRow, UserRow)
            .join(UserRow, UserRow.id == SigningKeyRow.user_id)
            .where(
                SigningKeyRow.kind == _keyring.USER,
                SigningKeyRow.revoked_at.is_(None),
                SigningKeyRow.retired_at.is_(None),
            )
            .order_by(SigningKeyRow.id)
        ).all()
    ]


def _needs_issue(s: Session, row: SigningKeyRow, user: UserRow, root: x509.Certificate) -> bool:
    return (
        _keyring.status(row) is KeyStatus.PENDING
        or not _keyring.plant_certified(row, root)
        or _plant_keys.missing_for(s, row, user)
    )


def issue_pending(
    station: Station, admin: User, passphrase: str, approve: Collection[str] | None = None
) -> list[KeyInfo]:
    """Issue certificates for pending keys. ``approve`` names the keys (their fingerprints,
    or the first 16 hex digits of one) the administrator looked at and vouches for; None
    issues every pending key (the set-up of a new plant, where they are the first admin's).
    """
    wanted = [a.lower() for a in approve] if approve is not None else None
    if wanted is not None and any(len(a) < 16 for a in wanted):
        raise InvalidInput("name a key by at least the first 16 hex digits of its fingerprint")
    with station.db.write(admin, station.name, reason="issue certificates") as s:
        require(s, admin, Permission.ADMINISTER)
        plant = _keyring.unlock_plant(s, passphrase)
        done = []
        for row, user in _candidates(s):
            if not _needs_issue(s, row, user, plant.root):
                continue
            if wanted is not None and not any(row.key_id.startswith(a) for a in wanted):
                continue
            _keyring.issue(row, user, plant, station.now())
            s.flush()
            _plant_keys.grant_with_root(s, plant, row, user, station.now(), admin.id)
            done.append(_keyring.info(row, user.username, _plant_keys.may_hold(user)))
        for row in station_keys.pending(s, plant.root):
            if wanted is not None and not any(row.key_id.startswith(a) for a in wanted):
                continue
            name = str(station_keys.named(row))
            station_keys.certify(row, name, plant, station.now())
            done.append(_keyring.info(row, station_keys.unit(name)))
        return done


def request_key(station: Station, actor: User, password: str) -> KeyInfo:
    """A fresh key for oneself (after a lost password or a revocation), pending issue."""
    user = login(station, actor.username, password)
    with station.db.write(user, station.name, reason="request signing key") as s:
        row = s.get_one(UserRow, user.id)
        key, opened = _keyring.enroll(s, station.now(), row, password, row.id, None)
        if user.credential is None:  # the old key was revoked: the new one signs its birth
            audit.sign_with(s, opened)
        return _keyring.info(key, row.username)


def import_pkcs12(
    station: Station, actor: User, password: str, data: bytes, p12_passphrase: str | None
) -> KeyInfo:
    """Use a company-PKI identity to sign; it waits for an administrator's approval."""
    try:
        identity = keys.load_pkcs12(data, p12_passphrase)
    except keys.KeyFileError as exc:
        raise InvalidInput(str(exc)) from None
    user = login(station, actor.username, password)
    with station.db.write(user, station.name, reason="import PKCS#12") as s:
        row = s.get_one(UserRow, user.id)
        key = _keyring.add_imported(s, station.now(), row, password, identity)
        if user.credential is None:
            audit.sign_with(s, _keyring.SessionKey.of(identity.key))
        return _keyring.info(key, row.username)


@dataclass(frozen=True)
class Revoked:
    count: int  # keys revoked
    held: tuple[str, ...]  # the plant's issuing keys the revoked keys held (seal, document)
    rotated: Rotated | None = None  # rotated at once (the root passphrase was given)

    def describe(self, username: str) -> str:
        text = f"revoked {self.count} key(s) of {username}; they can no longer sign"
        if not self.held:
            return text
        what = " and ".join(_plant_keys.NAMES[k] for k in self.held)
        if self.rotated is not None:
            return (
                f"{text}. {username} held the plant's {what}: they were rotated (a new seal "
                "and document key, wrapped to supervisors and administrators)"
            )
        return (
            f"{text}. {username} held the plant's {what}: whoever has that key can still "
            f"issue what verifies as the plant's; rotate them now with {_plant_keys.ROTATE}"
        )


def revoke(
    station: Station,
    admin: User,
    username: str,
    reason: str,
    root_passphrase: str | None = None,
) -> Revoked:
    """Revoke every live key of a user and take back the plant keys they held. A holder
    revoked leaves those keys exposed: with the root passphrase they are rotated at once,
    otherwise the answer (and `keys list`, `audit verify`) says rotation is needed."""
    reason = reason.strip()
    if len(reason) < 3:
        raise InvalidInput("give a reason for the revocation (it is kept in the audit trail)")
    with station.db.write(admin, station.name, reason=f"revoke: {reason}") as s:
        me = require(s, admin, Permission.ADMINISTER)
        user = s.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
        if user is None:
            raise NotFound(f"no user {username!r}")
        count = 0
        revoked_ids = []
        for row in _keyring.user_keys(s, user.id):
            if row.revoked_at is None:
                row.revoked_at = station.now()
                row.revoked_by_id = me.id
                row.revocation_reason = reason
                revoked_ids.append(row.id)
                count += 1
        held = _plant_keys.take_back(s, revoked_ids)
        _plant_keys.note_exposed(
            s, held, f"held by {username}, whose key was revoked ({reason})", station.now()
        )
        kinds = tuple(sorted({r.kind for r in held}))
    rotated = None
    if held and root_passphrase:
        rotated = rotate(station, admin, root_passphrase)
    return Revoked(count, kinds, rotated)


def list_keys(station: Station) -> list[KeyInfo]:
    with station.db.read() as s:
        rows = s.execute(
            select(SigningKeyRow, UserRow.username)
            .outerjoin(UserRow, UserRow.id == SigningKeyRow.user_id)
            .order_by(SigningKeyRow.id)
        ).all()
        holding = _plant_keys.holders(s)
        return [_keyring.info(row, name, row.id in holding) for row, name in rows]


def plant_certificates(station: Station) -> str:
    """The plant's public keys file: the root, and every seal and document certificate
    with its state (in force, retired or revoked, and since when; exposed), as labelled
    PEM blocks. A customer or an offline verifier trusts what it holds, and judges a QR
    code or a PDF made after its key was retired as invalid (services/public_keys.py)."""
    from qcstation.services import public_keys

    with station.db.read() as s:
        return public_keys.render(s, station.location.settings.plant_name)
