"""An inspection as a signed record: rebuilt from the database, hashed, its signatures checked.

Signing, exporting and verifying all read the record through here, so the hash a
signature was made over and the hash a verifier recomputes come from the same code.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from qcstation.accounts import keys
from qcstation.domain.inspections import Inspection
from qcstation.domain.signing import (
    CorrectionInfo,
    ESignature,
    EvidenceRef,
    Manifest,
    Meaning,
    SignatureCheck,
    inspection_record_hash,
)
from qcstation.domain.users import Role
from qcstation.services import _keyring
from qcstation.services.errors import NotFound
from qcstation.store import repositories as repo
from qcstation.store.models import (
    CorrectionRow,
    EvidenceRow,
    InspectionRow,
    SignatureRow,
    SigningKeyRow,
    UserRow,
)


@dataclass(frozen=True)
class Evidence:
    ref: EvidenceRef
    id: int
    original_name: str
    meta: dict[str, object]


@dataclass(frozen=True)
class Record:
    inspection: Inspection
    evidence: tuple[Evidence, ...]
    correction: CorrectionInfo | None
    record_hash: str
    superseded_by: str | None  # a newer version corrects this one


def correction_of(session: Session, inspection_id: str) -> CorrectionInfo | None:
    row = session.scalars(
        select(CorrectionRow).where(CorrectionRow.inspection_id == inspection_id)
    ).one_or_none()
    if row is None:
        return None
    by = session.get_one(UserRow, row.created_by_id).username
    return CorrectionInfo(row.supersedes_id, row.revision, row.reason, by, row.created_at)


def superseded_by(session: Session, inspection_id: str) -> str | None:
    return session.scalar(
        select(CorrectionRow.inspection_id).where(CorrectionRow.supersedes_id == inspection_id)
    )


def load(session: Session, inspection_id: str) -> Record:
    row = session.get(InspectionRow, inspection_id)
    if row is None:
        raise NotFound(f"no inspection {inspection_id}")
    inspection = repo.inspection(session, row)
    evidence = tuple(
        Evidence(
            EvidenceRef(e.sha256, e.media_type, e.item_id, repo.position_in(e.position)),
            e.id,
            e.original_name,
            dict(e.meta),
        )
        for e in session.scalars(
            select(EvidenceRow).where(EvidenceRow.inspection_id == row.id).order_by(EvidenceRow.id)
        )
    )
    correction = correction_of(session, row.id)
    digest = inspection_record_hash(inspection, [e.ref for e in evidence], correction)
    return Record(inspection, evidence, correction, digest, superseded_by(session, row.id))


def signatures(session: Session, inspection_id: str) -> list[tuple[ESignature, SigningKeyRow]]:
    out = []
    for row, key in session.execute(
        select(SignatureRow, SigningKeyRow)
        .join(SigningKeyRow, SigningKeyRow.id == SignatureRow.signing_key_id)
        .where(SignatureRow.inspection_id == inspection_id)
        .order_by(SignatureRow.signed_at, SignatureRow.id)
    ):
        manifest = _parse(row) or _unreadable(row)
        out.append((ESignature(row.id, manifest, row.signature, key.subject), key))
    return out


def _certified(session: Session, key: SigningKeyRow) -> bool:
    """The key's certificate is its own and was issued by the plant root (an imported
    identity too: the plant certifies its key when an administrator approves it)."""
    root = _keyring.plant_row(session, _keyring.ROOT)
    if root is None or not root.certificate:
        return False
    return _keyring.plant_certified(key, keys.load_certs_pem(root.certificate)[0])


def _parse(row: SignatureRow) -> Manifest | None:
    """The stored manifest, or None when it is damaged."""
    try:
        return Manifest.from_dict(json.loads(row.manifest))
    except (ValueError, KeyError, TypeError):
        return None


def _unreadable(row: SignatureRow) -> Manifest:
    """What can still be shown of a signature whose manifest is damaged (from its row)."""
    unknown = "(unreadable manifest)"
    return Manifest(
        row.inspection_id,
        row.record_hash,
        Meaning(row.meaning),
        unknown,
        unknown,
        unknown,
        row.signed_at,
        unknown,
        unknown,
    )


# Who may sign with which meaning (the manifest's role is checked against it).
MEANINGS = {
    Meaning.PERFORMED: {Role.INSPECTOR, Role.SUPERVISOR, Role.ADMIN},
    Meaning.REVIEWED: {Role.SUPERVISOR, Role.ADMIN},
    Meaning.APPROVED: {Role.SUPERVISOR, Role.ADMIN},
}


def check(session: Session, record: Record) -> list[SignatureCheck]:
    """Each signature: made by its signer's own key, over its manifest, for today's record,
    with a meaning the signer's role allows, and not after the key was revoked."""
    checks = []
    for sig, key in signatures(session, record.inspection.id):
        problems = []
        stored = session.scalars(select(SignatureRow).where(SignatureRow.id == sig.id)).one()
        m = sig.manifest
        signer = session.get(UserRow, stored.signer_id)
        owner = session.get(UserRow, key.user_id) if key.user_id is not None else None
        if signer is None or owner is None or owner.id != signer.id:
            problems.append(
                f"made with {owner.username if owner else 'a plant'}'s key, not with the key "
                f"of {signer.username if signer else 'its signer'}"
            )
        elif m.username != signer.username:
            problems.append(f"the manifest names {m.username}, but {signer.username} signed")
        if m.role not in {r.value for r in MEANINGS.get(m.meaning, set())}:
            problems.append(f"a {m.role} cannot sign as {m.meaning.value}")
        if _parse(stored) is None:
            problems.append("the signature manifest is damaged")
        elif stored.manifest.encode("utf-8") != m.encoded():
            problems.append("the signature manifest is not in its canonical form")
        try:
            public = keys.load_public_pem(key.public_key)
            raw = base64.b64decode(sig.signature, validate=True)
        except (ValueError, keys.KeyFileError):
            problems.append("the signature or its key is damaged")
        else:
            if not keys.verify(public, raw, stored.manifest.encode("utf-8")):
                problems.append("the signature does not match its manifest (altered)")
        if m.key_id != key.key_id:
            problems.append("the manifest names another key than the one that signed")
        if m.record_hash != record.record_hash or stored.record_hash != m.record_hash:
            problems.append(
                "the record changed after it was signed (signed record SHA-256 "
                f"{m.record_hash[:16]}…, the database's now {record.record_hash[:16]}…)"
            )
        if key.revoked_at is not None and stored.signed_at >= key.revoked_at:
            problems.append(
                f"signed after the signer's key was revoked ({key.revoked_at:%Y-%m-%d})"
            )
        if key.issued_at is None or not _certified(session, key):
            problems.append("the signer's key has no certificate from the plant root")
        checks.append(SignatureCheck(sig, tuple(problems)))
    return checks
