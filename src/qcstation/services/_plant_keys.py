"""The plant's issuing keys in the hands of the people who issue documents.

The certificate seal (Ed25519, signs QR payloads) and the plant document key (ECDSA, signs
every report and certificate PDF) are each wrapped to the signing key of every supervisor
and administrator (``plant_key_wraps``, audited), and to nobody else: an inspector's
password opens her own key and nothing of the plant's. Inside a caller's transaction,
like _keyring.py.

A key that left that circle (handed to every user by qcstation < 0.2, or held by someone
whose key was revoked or who is no longer a supervisor) is noted as exposed and handed to
nobody more; `rotate` replaces it: a new seal and document key, the old ones retired.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from sqlalchemy import select
from sqlalchemy.orm import Session

from qcstation.accounts import keys, sealing
from qcstation.domain.users import Role
from qcstation.services import _keyring
from qcstation.services._keyring import DOCUMENT, ISSUING, SEAL, USER, PlantKeys
from qcstation.services.errors import SigningRefused
from qcstation.store.models import (
    PlantKeyExposureRow,
    PlantKeyWrapRow,
    SigningKeyRow,
    UserRow,
)

ISSUERS = (Role.SUPERVISOR.value, Role.ADMIN.value)
ROTATE = "`qcstation keys rotate --root-passphrase`"
NAMES = {SEAL: "certificate seal", DOCUMENT: "document key"}


def may_hold(user: UserRow) -> bool:
    """Only people who may issue documents hold the plant's issuing keys."""
    return bool(user.active) and user.role in ISSUERS


def _context(plant: SigningKeyRow, holder: SigningKeyRow) -> str:
    return f"qcstation-plant-key:{plant.key_id}:for:{holder.key_id}"


def exposed_ids(session: Session) -> set[int]:
    return set(session.scalars(select(PlantKeyExposureRow.signing_key_id)))


def _issuing_rows(session: Session) -> list[SigningKeyRow]:
    """The seal and document key in force (none exposed ones excluded: see grant)."""
    return [r for r in (_keyring.plant_row(session, k) for k in ISSUING) if r is not None]


def _secrets(plant: PlantKeys) -> dict[str, keys.PrivateKey]:
    out: dict[str, keys.PrivateKey] = {keys.key_id(plant.seal_key.public_key()): plant.seal_key}
    if plant.document_key is not None:
        out[keys.key_id(plant.document_key.public_key())] = plant.document_key
    return out


def grant(
    session: Session,
    secrets: dict[str, keys.PrivateKey],
    holder: SigningKeyRow,
    user: UserRow,
    now: datetime,
    by_id: int | None,
) -> int:
    """Wrap the issuing keys in force (of those in ``secrets``: key id -> private key) to
    the holder's key, if its owner may issue documents; an exposed key goes to nobody.
    Returns how many wraps were made."""
    if not may_hold(user) or holder.kind != USER or holder.revoked_at is not None:
        return 0
    if holder.issued_at is None or holder.certificate is None:
        return 0
    public = keys.load_public_pem(holder.public_key)
    exposed = exposed_ids(session)
    held = set(
        session.scalars(
            select(PlantKeyWrapRow.plant_key_id).where(PlantKeyWrapRow.holder_key_id == holder.id)
        )
    )
    made = 0
    for plant_row in _issuing_rows(session):
        secret = secrets.get(plant_row.key_id)
        if secret is None or plant_row.id in exposed or plant_row.id in held:
            continue
        try:
            envelope = sealing.wrap(keys.private_der(secret), public, _context(plant_row, holder))
        except sealing.UnsupportedKey:
            continue  # an imported key type that cannot receive a wrapped key
        session.add(
            PlantKeyWrapRow(
                plant_key_id=plant_row.id,
                holder_key_id=holder.id,
                envelope=envelope,
                granted_at=now,
                granted_by_id=by_id,
            )
        )
        made += 1
    session.flush()
    return made


def grant_with_root(
    session: Session, plant: PlantKeys, holder: SigningKeyRow, user: UserRow, now: datetime, by: int
) -> int:
    return grant(session, _secrets(plant), holder, user, now, by)


def take_back(session: Session, holder_ids: list[int]) -> list[SigningKeyRow]:
    """Remove every wrap those keys hold; returns the plant keys in force they held."""
    if not holder_ids:
        return []
    held = session.scalars(
        select(SigningKeyRow)
        .join(PlantKeyWrapRow, PlantKeyWrapRow.plant_key_id == SigningKeyRow.id)
        .where(PlantKeyWrapRow.holder_key_id.in_(holder_ids))
    ).all()
    for wrap in session.scalars(
        select(PlantKeyWrapRow).where(PlantKeyWrapRow.holder_key_id.in_(holder_ids))
    ):
        session.delete(wrap)
    session.flush()
    return [r for r in {r.id: r for r in held}.values() if _live(r)]


def _live(row: SigningKeyRow) -> bool:
    return row.revoked_at is None and row.retired_at is None


def note_exposed(session: Session, rows: list[SigningKeyRow], reason: str, now: datetime) -> None:
    for row in rows:
        session.add(PlantKeyExposureRow(signing_key_id=row.id, noted_at=now, reason=reason))
    session.flush()


@dataclass(frozen=True)
class Exposure:
    kind: str
    key_id: str
    reason: str


def exposures(session: Session) -> list[Exposure]:
    """The issuing keys in force that must be rotated, with why."""
    found = []
    for row in _issuing_rows(session):
        reasons = session.scalars(
            select(PlantKeyExposureRow.reason)
            .where(PlantKeyExposureRow.signing_key_id == row.id)
            .order_by(PlantKeyExposureRow.id)
        ).all()
        if reasons:
            found.append(Exposure(row.kind, row.key_id, "; ".join(dict.fromkeys(reasons))))
    return found


def warnings(session: Session) -> list[str]:
    """What `db upgrade`, `audit verify` and `keys list` say until the keys are rotated."""
    out = []
    for e in exposures(session):
        out.append(
            f"the plant's {NAMES[e.kind]} (key {e.key_id[:16]}) must be rotated: {e.reason}. "
            f"Whoever held it can make {'QR codes' if e.kind == SEAL else 'PDFs'} that "
            f"verify as the plant's. Run {ROTATE}"
        )
    root = _keyring.plant_row(session, _keyring.ROOT)
    if root is not None and _keyring.plant_row(session, DOCUMENT) is None:
        out.append(
            "this plant has no document key yet (it was set up before qcstation 0.2): no "
            f"report or certificate can be issued until an administrator runs {ROTATE}"
        )
    return out


def rotate(
    session: Session, plant: PlantKeys, plant_name: str, passphrase: str, now: datetime, by: int
) -> tuple[list[SigningKeyRow], int]:
    """A new seal and document key; the old ones retired and taken back from everyone;
    the new ones wrapped to every supervisor's and administrator's key in force.
    Returns (the retired rows, how many wraps were made)."""
    old = _issuing_rows(session)
    for row in old:
        row.retired_at = now
    if old:
        for wrap in session.scalars(
            select(PlantKeyWrapRow).where(PlantKeyWrapRow.plant_key_id.in_([r.id for r in old]))
        ):
            session.delete(wrap)
    seal_key, _seal, document_key, _document = _keyring.create_issuing_keys(
        session, now, plant_name, plant.root_key, plant.root, passphrase, by
    )
    session.flush()
    secrets: dict[str, keys.PrivateKey] = {
        keys.key_id(seal_key.public_key()): seal_key,
        keys.key_id(document_key.public_key()): document_key,
    }
    made = 0
    for holder, user in session.execute(
        select(SigningKeyRow, UserRow)
        .join(UserRow, UserRow.id == SigningKeyRow.user_id)
        .where(
            SigningKeyRow.kind == USER,
            SigningKeyRow.revoked_at.is_(None),
            SigningKeyRow.retired_at.is_(None),
            UserRow.role.in_(ISSUERS),
        )
    ).all():
        made += grant(session, secrets, holder, user, now, by)
    return old, made


def holders(session: Session) -> set[int]:
    """The user keys that hold an issuing key in force."""
    live = [r.id for r in _issuing_rows(session)]
    if not live:
        return set()
    return set(
        session.scalars(
            select(PlantKeyWrapRow.holder_key_id).where(PlantKeyWrapRow.plant_key_id.in_(live))
        )
    )


@dataclass(frozen=True)
class Hands:
    """The issuing keys one person opened with their own key: what issues a document."""

    document_key: ec.EllipticCurvePrivateKey
    document: x509.Certificate
    document_key_id: str
    chain: tuple[x509.Certificate, ...]  # the plant root
    seal_key: ed25519.Ed25519PrivateKey
    seal_key_id: str


def open_hands(
    session: Session, user: UserRow, holder_key_id: str, private_key: keys.PrivateKey
) -> Hands:
    """The seal and document key in force, unwrapped with this person's key; or why not."""
    name = user.username
    document_row = _keyring.plant_row(session, DOCUMENT)
    seal_row = _keyring.plant_row(session, SEAL)
    if document_row is None or seal_row is None:
        raise SigningRefused(
            "this plant has no document key yet (it was set up before qcstation 0.2): an "
            f"administrator runs {ROTATE} to make it; nothing was issued"
        )
    if not may_hold(user):
        raise SigningRefused(
            f"{name} ({user.role}) does not issue documents: reports and certificates are "
            "issued by a supervisor or an administrator, who hold the plant's document key; "
            "ask one to issue it"
        )
    holder = session.scalars(
        select(SigningKeyRow).where(SigningKeyRow.key_id == holder_key_id)
    ).one()
    opened: dict[str, keys.PrivateKey] = {}
    for plant_row in (document_row, seal_row):
        wrap = session.scalars(
            select(PlantKeyWrapRow).where(
                PlantKeyWrapRow.plant_key_id == plant_row.id,
                PlantKeyWrapRow.holder_key_id == holder.id,
            )
        ).first()
        if wrap is None:
            raise SigningRefused(
                f"{name}'s signing key does not hold the plant's {NAMES[plant_row.kind]}: an "
                f"administrator hands it over with `qcstation keys issue`"
                + (
                    f" (it must be rotated first: {ROTATE})"
                    if plant_row.id in exposed_ids(session)
                    else ""
                )
                + "; nothing was issued"
            )
        try:
            der = sealing.unwrap(wrap.envelope, private_key, _context(plant_row, holder))
        except sealing.WrongPassphrase:
            raise SigningRefused(
                f"the plant's {NAMES[plant_row.kind]} wrapped to {name}'s key does not open: "
                "an administrator hands it over again with `qcstation keys issue`"
            ) from None
        opened[plant_row.kind] = keys.load_private_der(der)
    document_key, seal_key = opened[DOCUMENT], opened[SEAL]
    assert isinstance(document_key, ec.EllipticCurvePrivateKey)
    assert isinstance(seal_key, ed25519.Ed25519PrivateKey)
    root = _keyring.plant_row(session, _keyring.ROOT)
    return Hands(
        document_key,
        keys.load_certs_pem(document_row.certificate or "")[0],
        document_row.key_id,
        tuple(keys.load_certs_pem(root.certificate or "")) if root else (),
        seal_key,
        seal_row.key_id,
    )


def secrets_of(hands: Hands) -> dict[str, keys.PrivateKey]:
    """What one holder can hand on (a role change by an administrator who holds them)."""
    return {hands.document_key_id: hands.document_key, hands.seal_key_id: hands.seal_key}


def missing_for(session: Session, holder: SigningKeyRow, user: UserRow) -> bool:
    """True when this reviewer's key lacks an issuing key it could be given now."""
    if not may_hold(user) or holder.issued_at is None:
        return False
    exposed = exposed_ids(session)
    wanted = {r.id for r in _issuing_rows(session) if r.id not in exposed}
    held = set(
        session.scalars(
            select(PlantKeyWrapRow.plant_key_id).where(PlantKeyWrapRow.holder_key_id == holder.id)
        )
    )
    return bool(wanted - held)


def drop_all_wraps_of_user(session: Session, user_id: int) -> list[SigningKeyRow]:
    ids = [r.id for r in _keyring.user_keys(session, user_id)]
    return take_back(session, ids)


__all__ = [
    "ISSUERS",
    "ROTATE",
    "Exposure",
    "Hands",
    "exposures",
    "grant",
    "grant_with_root",
    "holders",
    "may_hold",
    "missing_for",
    "note_exposed",
    "open_hands",
    "rotate",
    "take_back",
    "warnings",
]
