"""Signing keys in the database, inside a caller's transaction: create, issue, unlock, reseal.

The public use cases are in services/keys.py (and accounts.create_user/change_password);
this module holds what they share and never opens a transaction itself. Rows change only
through the ORM, so every change lands in the audit trail (sealed keys as digests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from sqlalchemy import select
from sqlalchemy.orm import Session

from qcstation.accounts import keys, sealing
from qcstation.domain.signing import KeyInfo, KeyStatus
from qcstation.services.errors import InvalidInput, SigningRefused
from qcstation.store.models import PlantKeyWrapRow, SigningKeyRow, UserRow

ROOT, SEAL, USER, DOCUMENT = "root", "seal", "user", "document"
PLANT, IMPORTED = "plant", "imported"
# The keys that issue documents: wrapped to supervisors and administrators only.
ISSUING = (SEAL, DOCUMENT)


@dataclass(frozen=True)
class PlantKeys:
    """The plant root, the seal and the document key, unlocked with the root passphrase.
    ``document`` is None on a plant set up before qcstation 0.2 until its keys are rotated."""

    root_key: ec.EllipticCurvePrivateKey
    root: x509.Certificate
    seal_key: ed25519.Ed25519PrivateKey
    seal: x509.Certificate
    document_key: ec.EllipticCurvePrivateKey | None = None
    document: x509.Certificate | None = None


@dataclass(frozen=True)
class Identity:
    """A user's unlocked signing key with its certificate chain (leaf first)."""

    key_row_id: int
    key_id: str
    private_key: keys.PrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]


@dataclass(frozen=True)
class SessionKey:
    """A signing key opened at sign-in (domain.users.Credential): it signs what its owner
    records, and never leaves memory."""

    key_id: str
    private_key: keys.PrivateKey = field(repr=False)

    def sign(self, data: bytes) -> bytes:
        return keys.sign(self.private_key, data)

    @classmethod
    def of(cls, private_key: keys.PrivateKey) -> SessionKey:
        return cls(keys.key_id(private_key.public_key()), private_key)


def context(row: SigningKeyRow) -> str:
    return f"qcstation-{row.kind}-key:{row.key_id}"


def plant_row(session: Session, kind: str) -> SigningKeyRow | None:
    """The plant key of this kind in force: the newest neither revoked nor retired."""
    return session.scalars(
        select(SigningKeyRow)
        .where(
            SigningKeyRow.kind == kind,
            SigningKeyRow.revoked_at.is_(None),
            SigningKeyRow.retired_at.is_(None),
        )
        .order_by(SigningKeyRow.id.desc())
    ).first()


def _new_row(kind: str, key: keys.PrivateKey, now: datetime, **kw: object) -> SigningKeyRow:
    public = key.public_key()
    return SigningKeyRow(
        kind=kind,
        key_id=keys.key_id(public),
        algorithm=keys.algorithm(public),
        public_key=keys.public_pem(public),
        encrypted_key="",  # sealed by the caller: the envelope names the key id
        created_at=now,
        chain="",
        revocation_reason="",
        **kw,
    )


def _add_plant_key(
    session: Session,
    kind: str,
    key: keys.PrivateKey,
    cert: x509.Certificate,
    now: datetime,
    passphrase: str,
    actor_id: int | None,
) -> SigningKeyRow:
    row = _new_row(
        kind,
        key,
        now,
        origin=PLANT,
        subject=keys.subject_text(cert),
        certificate=keys.cert_pem(cert),
        not_after=cert.not_valid_after_utc,
        issued_at=now,
        created_by_id=actor_id,
    )
    row.encrypted_key = sealing.seal(keys.private_der(key), passphrase, context(row))
    session.add(row)
    return row


def create_issuing_keys(
    session: Session,
    now: datetime,
    plant: str,
    root_key: ec.EllipticCurvePrivateKey,
    root: x509.Certificate,
    passphrase: str,
    actor_id: int | None,
) -> tuple[
    ed25519.Ed25519PrivateKey, x509.Certificate, ec.EllipticCurvePrivateKey, x509.Certificate
]:
    """A new certificate seal and plant document key, certified by the root and sealed
    under the root passphrase (the caller wraps them to the people who issue documents)."""
    seal_key, document_key = keys.new_seal_key(), keys.new_signing_key()
    seal = keys.issue(root_key, root, seal_key.public_key(), f"{plant} certificate seal", now)
    document = keys.issue_document_key(root_key, root, document_key.public_key(), plant, now)
    _add_plant_key(session, SEAL, seal_key, seal, now, passphrase, actor_id)
    _add_plant_key(session, DOCUMENT, document_key, document, now, passphrase, actor_id)
    return seal_key, seal, document_key, document


def create_plant(
    session: Session, now: datetime, plant: str, passphrase: str, actor_id: int
) -> PlantKeys:
    """A new root, seal and document key; refuses when the plant has them already."""
    if plant_row(session, ROOT) is not None:
        raise InvalidInput("this plant has its root certificate already")
    root_key = keys.new_signing_key()
    root = keys.make_root(root_key, plant, now)
    _add_plant_key(session, ROOT, root_key, root, now, passphrase, actor_id)
    seal_key, seal, document_key, document = create_issuing_keys(
        session, now, plant, root_key, root, passphrase, actor_id
    )
    session.flush()
    return PlantKeys(root_key, root, seal_key, seal, document_key, document)


def _open_plant_key(row: SigningKeyRow, passphrase: str) -> keys.PrivateKey:
    return keys.load_private_der(sealing.unseal(row.encrypted_key, passphrase, context(row)))


def unlock_plant(session: Session, passphrase: str) -> PlantKeys:
    root_row, seal_row = plant_row(session, ROOT), plant_row(session, SEAL)
    document_row = plant_row(session, DOCUMENT)
    if root_row is None or seal_row is None:
        raise SigningRefused(
            "this plant has no root certificate yet: run `qcstation keys issue` as an administrator"
        )
    try:
        root_key = _open_plant_key(root_row, passphrase)
        seal_key = _open_plant_key(seal_row, passphrase)
        document_key = _open_plant_key(document_row, passphrase) if document_row else None
    except sealing.WrongPassphrase:
        raise InvalidInput(
            "wrong root passphrase: nothing was issued (it is QCSTATION_ROOT_PASSPHRASE, or "
            "the first administrator's password, as set at `qcstation init`)"
        ) from None
    assert isinstance(root_key, ec.EllipticCurvePrivateKey)
    assert isinstance(seal_key, ed25519.Ed25519PrivateKey)
    assert document_key is None or isinstance(document_key, ec.EllipticCurvePrivateKey)
    root, seal = (keys.load_certs_pem(r.certificate or "")[0] for r in (root_row, seal_row))
    document = keys.load_certs_pem(document_row.certificate or "")[0] if document_row else None
    return PlantKeys(root_key, root, seal_key, seal, document_key, document)


def reseal_plant(session: Session, old: str, new: str) -> bool:
    """Re-encrypt the plant's keys under a new passphrase, if the old one opens them."""
    kinds = (ROOT, SEAL, DOCUMENT)
    rows = [r for r in (plant_row(session, k) for k in kinds) if r is not None]
    try:
        secrets = [sealing.unseal(r.encrypted_key, old, context(r)) for r in rows]
    except sealing.WrongPassphrase:
        return False
    for row, secret in zip(rows, secrets, strict=True):
        row.encrypted_key = sealing.seal(secret, new, context(row))
    return bool(rows)


def user_keys(session: Session, user_id: int) -> list[SigningKeyRow]:
    return list(
        session.scalars(
            select(SigningKeyRow)
            .where(SigningKeyRow.kind == USER, SigningKeyRow.user_id == user_id)
            .order_by(SigningKeyRow.id)
        )
    )


def current_key(session: Session, user_id: int) -> SigningKeyRow | None:
    """The user's newest key that was not replaced (it may be pending or revoked)."""
    live = [r for r in user_keys(session, user_id) if r.retired_at is None]
    return live[-1] if live else None


def _retire_current(session: Session, user_id: int, now: datetime) -> None:
    """Retire the user's live key; the plant keys wrapped to it go with it (the new key
    receives them when it is issued)."""
    for row in user_keys(session, user_id):
        if row.retired_at is None and row.revoked_at is None:
            row.retired_at = now
            for wrap in session.scalars(
                select(PlantKeyWrapRow).where(PlantKeyWrapRow.holder_key_id == row.id)
            ):
                session.delete(wrap)


def enroll(
    session: Session,
    now: datetime,
    user: UserRow,
    password: str,
    actor_id: int | None,
    plant: PlantKeys | None,
) -> tuple[SigningKeyRow, SessionKey]:
    """A new key pair for the user, sealed under their password; issued when plant is given.
    Returns the row and the key opened (it signs the transaction that made it, if need be)."""
    _retire_current(session, user.id, now)
    key = keys.new_signing_key()
    row = _new_row(
        USER,
        key,
        now,
        origin=PLANT,
        user_id=user.id,
        subject=f"CN={user.full_name}"[:255],
        certificate=None,
        created_by_id=actor_id,
    )
    row.encrypted_key = sealing.seal(keys.private_der(key), password, context(row))
    session.add(row)
    if plant is not None:
        issue(row, user, plant, now)
    session.flush()
    return row, SessionKey(row.key_id, key)


def add_imported(
    session: Session,
    now: datetime,
    user: UserRow,
    password: str,
    identity: keys.Pkcs12Identity,
) -> SigningKeyRow:
    """A company-PKI identity, sealed under the user's password; trusted once issued."""
    if session.scalars(
        select(SigningKeyRow).where(SigningKeyRow.key_id == keys.key_id(identity.key.public_key()))
    ).first():
        raise InvalidInput("this key is registered already")
    _retire_current(session, user.id, now)
    cert = identity.certificate
    row = _new_row(
        USER,
        identity.key,
        now,
        origin=IMPORTED,
        user_id=user.id,
        subject=keys.subject_text(cert),
        certificate=keys.cert_pem(cert),
        not_after=cert.not_valid_after_utc,
        created_by_id=user.id,
    )
    row.chain = keys.cert_pem(*identity.chain)
    row.encrypted_key = sealing.seal(keys.private_der(identity.key), password, context(row))
    session.add(row)
    session.flush()
    return row


def issue(row: SigningKeyRow, user: UserRow, plant: PlantKeys, now: datetime) -> None:
    """Certify a pending plant key, or approve an imported one (the plant keys that issue
    documents are handed over apart, to reviewers only: services/_plant_keys.grant)."""
    public = keys.load_public_pem(row.public_key)
    if not plant_certified(row, plant.root):
        if row.origin == IMPORTED and row.certificate:
            # A company identity is taken as a leaf only: its certificate is kept for the
            # record, and the plant root certifies the key itself. Nothing the company
            # (or whoever made that PKCS#12) signed becomes trusted here.
            row.chain = row.certificate + row.chain
        cert = keys.issue(plant.root_key, plant.root, public, user.full_name, now, user.username)
        row.certificate = keys.cert_pem(cert)
        row.not_after = cert.not_valid_after_utc
        row.subject = keys.subject_text(cert)
    if row.issued_at is None:
        row.issued_at = now


def plant_certified(row: SigningKeyRow, root: x509.Certificate) -> bool:
    if not row.certificate:
        return False
    try:
        cert = keys.load_certs_pem(row.certificate)[0]
    except keys.KeyFileError:
        return False
    return keys.issued_by(cert, root) and keys.key_id(cert.public_key()) == row.key_id  # type: ignore[arg-type]


def status(row: SigningKeyRow) -> KeyStatus:
    if row.revoked_at is not None:
        return KeyStatus.REVOKED
    if row.retired_at is not None:
        return KeyStatus.RETIRED
    if row.issued_at is None or row.certificate is None:
        return KeyStatus.PENDING
    return KeyStatus.ACTIVE


def info(row: SigningKeyRow, username: str | None, holds: bool = False) -> KeyInfo:
    return KeyInfo(
        row.kind,
        username,
        row.key_id,
        row.algorithm,
        row.origin,
        row.subject,
        status(row),
        row.not_after,
        row.revoked_at,
        holds,
        row.retired_at,
    )


def unlock(session: Session, user: UserRow, password: str) -> Identity:
    """The user's signing key opened with their password, or why there is none to use."""
    row = current_key(session, user.id)
    name = user.username
    if row is None:
        raise SigningRefused(
            f"{name} has no signing key: run `qcstation keys request --user {name}`, then an "
            "administrator issues it (`qcstation keys issue`)"
        )
    state = status(row)
    if state is KeyStatus.REVOKED:
        raise SigningRefused(
            f"{name}'s signing certificate was revoked on {row.revoked_at:%Y-%m-%d %H:%M} UTC "
            f"({row.revocation_reason or 'no reason given'}): {name} cannot sign"
        )
    if state is KeyStatus.PENDING:
        raise SigningRefused(
            f"{name}'s signing certificate is not issued yet: an administrator must run "
            "`qcstation keys issue`"
        )
    try:
        der = sealing.unseal(row.encrypted_key, password, context(row))
    except sealing.WrongPassphrase:
        raise SigningRefused(
            f"{name}'s signing key does not open with this password (it was sealed under an "
            f"earlier one): run `qcstation keys request --user {name}` for a new key"
        ) from None
    private_key = keys.load_private_der(der)
    cert = keys.load_certs_pem(row.certificate or "")[0]
    root_row = plant_row(session, ROOT)
    chain = tuple(keys.load_certs_pem(root_row.certificate or "")) if root_row else ()
    return Identity(row.id, row.key_id, private_key, cert, chain)


def open_session_key(session: Session, user: UserRow, password: str) -> SessionKey | None:
    """The user's current key opened with their password, for signing what they record;
    None when they have none that can sign (revoked, or sealed under an old password)."""
    row = current_key(session, user.id)
    if row is None or row.revoked_at is not None:
        return None
    try:
        der = sealing.unseal(row.encrypted_key, password, context(row))
    except sealing.WrongPassphrase:
        return None
    return SessionKey(row.key_id, keys.load_private_der(der))


def reseal_user(session: Session, user_id: int, old: str, new: str) -> int:
    """Re-encrypt the user's live keys under a new password; returns how many."""
    done = 0
    for row in user_keys(session, user_id):
        if row.revoked_at is not None or row.retired_at is not None:
            continue
        try:
            secret = sealing.unseal(row.encrypted_key, old, context(row))
        except sealing.WrongPassphrase:
            continue
        row.encrypted_key = sealing.seal(secret, new, context(row))
        done += 1
    return done
