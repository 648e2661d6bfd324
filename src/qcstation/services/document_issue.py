"""The steps every issue of a document takes, whether report or certificate: who may issue
it, what is read and opened before the write transaction and checked again inside it, the
facts bound to the PDF and the audit event naming them, the plant's signature, and the
atomic write of the file.

services/documents.py says what a report and a certificate are (which inspections get one,
what each states, when a number is printed again and when it is replaced) and takes these
steps in order: ``login_again`` and ``before_issue`` before the transaction; ``issuer``,
``locked_record``, ``signatures_hold``, ``still_as_before``, ``chain_head``, ``facts`` and
``record_issue`` inside it; ``sign``, ``write_atomically`` and ``exported`` after it.

Kept apart because these steps are the same for both documents and hold the issue's
safeguards (the re-entered password, the plant keys unwrapped with the issuer's own key,
nothing slow inside the transaction, nothing changed since it was read, no lock held while
signing), apart from what each document states. This module never imports
services/documents.py.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from sqlalchemy.orm import Session

from qcstation.accounts import keys
from qcstation.domain.certificates import Claim
from qcstation.domain.documents import ChainHead, DocumentFacts, Person
from qcstation.domain.signing import SignatureCheck, canonical_record
from qcstation.domain.users import Permission, User
from qcstation.domain.verdicts import FinalVerdict
from qcstation.reports.model import CertificateContent, Photo, ReportContent
from qcstation.reports.pdfsign import (
    SigningIdentity,
    TimestampUnavailable,
    sign_pdf,
    timestamper_for,
)
from qcstation.services import _keyring, _plant_keys, holds, records
from qcstation.services import document_content as dc
from qcstation.services.accounts import login, require
from qcstation.services.context import Station
from qcstation.services.errors import (
    Conflict,
    InvalidInput,
    LoginFailed,
    PermissionDenied,
    SigningRefused,
)
from qcstation.store import audit
from qcstation.store.models import DocumentRow, UserRow

WHO_ISSUES = (
    "reports and certificates are issued by a supervisor or an administrator, who hold the "
    "plant's document key: ask one to issue it"
)
EVENT_ISSUED, EVENT_COPY = "document-issued", "document-copy"


@dataclass(frozen=True)
class Exported:
    kind: str
    number: str
    inspection_id: str
    path: Path
    sha256: str
    record_hash: str
    timestamped: bool
    content_sha256: str = ""
    supersedes: str = ""  # a reissued certificate: the number it replaces


@dataclass(frozen=True)
class Prepared:
    kind: str
    number: str
    record: records.Record
    facts: DocumentFacts
    hands: _plant_keys.Hands
    report: ReportContent | None = None
    certificate: CertificateContent | None = None
    supersedes: str = ""


def _identity(hands: _plant_keys.Hands) -> SigningIdentity:
    return SigningIdentity(
        keys.private_der(hands.document_key),
        hands.document.public_bytes(serialization.Encoding.DER),
        tuple(c.public_bytes(serialization.Encoding.DER) for c in hands.chain),
    )


def login_again(station: Station, actor: User, password: str) -> User:
    """The issuer signed in again: the password is re-entered, and the key it opens
    unwraps the plant keys and signs what the export records."""
    try:
        return login(station, actor.username, password)
    except LoginFailed as exc:
        raise LoginFailed(f"{exc}; nothing was exported") from None


def issuer(s: Session, actor: User) -> UserRow:
    try:
        return require(s, actor, Permission.REVIEW)
    except PermissionDenied:
        row = s.get(UserRow, actor.id)
        role = row.role if row is not None else "user"
        raise PermissionDenied(
            f"{actor.username} ({role}) may not issue documents: {WHO_ISSUES}"
        ) from None


def write_atomically(path: Path, data: bytes) -> None:
    target = path.expanduser().resolve()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".qcstation-", suffix=".pdf", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise InvalidInput(f"cannot write {target}: {exc.strerror or exc}") from None


def _stamp(kind: str, number: str, plant: str) -> str:
    """The visible signature's text; pyHanko fills in %(signer)s and %(ts)s."""
    tail = f"{plant} · {kind} {number}".replace("%", "%%")
    return f"Digitally signed by %(signer)s\nDate: %(ts)s\n{tail}"


def signatures_hold(s: Session, record: records.Record) -> list[SignatureCheck]:
    """The record's e-signatures, refused when any no longer matches it."""
    checks = records.check(s, record)
    bad = [c for c in checks if not c.ok]
    if bad:
        said = "; ".join(
            f"{c.signature.manifest.meaning.value} by {c.signature.manifest.printed_name}: "
            + ", ".join(c.problems)
            for c in bad
        )
        raise Conflict(
            f"the e-signatures of inspection {record.inspection.id} no longer match it ({said}): "
            "nothing was exported; run `qcstation audit verify` to see what changed"
        )
    return checks


def _person(row: UserRow) -> Person:
    return Person(row.username, row.full_name, row.role)


def _open(s: Session, me: UserRow, password: str) -> _plant_keys.Hands:
    ident = _keyring.unlock(s, me, password)
    return _plant_keys.open_hands(s, me, ident.key_id, ident.private_key)


def facts(
    s: Session,
    station: Station,
    doc: DocumentRow,
    record: records.Record,
    me: UserRow,
    verdict: FinalVerdict,
    claims: tuple[Claim, ...],
    head: ChainHead,
    new: bool,
) -> DocumentFacts:
    issuer = s.get_one(UserRow, doc.issued_by_id)
    return DocumentFacts(
        kind=doc.kind,
        number=doc.number,
        inspection_id=record.inspection.id,
        plant=station.location.settings.plant_name,
        station=station.name,
        issued_at=doc.issued_at,
        issued_by=_person(issuer),
        made_at=doc.issued_at if new else station.now(),
        made_by=_person(me),
        verdict=verdict,
        claims=claims,
        audit_head=head,
        record_sha256=record.record_hash,
        record=canonical_record(
            record.inspection, [e.ref for e in record.evidence], record.correction
        ),
    )


@dataclass(frozen=True)
class _Before:
    """The slow part of an issue, done before its write transaction so that no other
    writer waits on it: the password's key derivation and the plant keys' unwrapping, and
    hashing every photo file the document shows."""

    hands: _plant_keys.Hands
    record_hash: str
    photos: tuple[Photo, ...]
    files: tuple[tuple[str, int, int], ...]  # (path, size, mtime_ns) when hashed


def before_issue(
    station: Station, actor: User, password: str, inspection_id: str, certificate: bool
) -> _Before:
    with station.db.read() as s:
        me = issuer(s, actor)
        record = records.load(s, inspection_id)
        hands = _open(s, me, password)
    if certificate:
        piece = dc.piece_photo(station, record)
        photos: tuple[Photo, ...] = (piece,) if piece is not None else ()
    else:
        photos = tuple(dc.photos(station, record))
    return _Before(hands, record.record_hash, photos, tuple(_stat(p.path) for p in photos))


def _stat(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return (str(path), st.st_size, st.st_mtime_ns)


def locked_record(s: Session, inspection_id: str) -> records.Record:
    """The record, its inspection's row locked until commit: two issues of one inspection
    (on two stations) take turns, and the second sees the first's document."""
    holds.locked(s, inspection_id)
    return records.load(s, inspection_id)


def still_as_before(
    s: Session, station: Station, record: records.Record, before: _Before
) -> _plant_keys.Hands:
    """What was opened and hashed before the transaction still holds inside it: the same
    record, the plant keys still in force, the photo files unchanged since hashed."""
    what = "nothing was issued; try again"
    if record.record_hash != before.record_hash:
        raise Conflict(
            f"inspection {record.inspection.id} changed while its document was made: {what}"
        )
    for kind, key_id in (
        (_keyring.DOCUMENT, before.hands.document_key_id),
        (_keyring.SEAL, before.hands.seal_key_id),
    ):
        row = _keyring.plant_row(s, kind)
        if row is None or row.key_id != key_id:
            raise Conflict(f"the plant's keys were rotated while the document was made: {what}")
    for path, size, mtime in before.files:
        try:
            now = _stat(Path(path))
        except OSError:
            now = (path, -1, -1)
        if now != (path, size, mtime):
            raise Conflict(f"evidence file {path} changed while the document was made: {what}")
    return before.hands


def chain_head(s: Session) -> ChainHead:
    """The trail as this issue sees it before writing anything: its newest entry. No lock:
    other stations go on writing (their later entries are not part of this issue)."""
    chain_id, last_id, last_hash = audit.chain_head(s)
    return ChainHead(chain_id, last_id, last_hash)


def record_issue(s: Session, doc: DocumentRow, facts: DocumentFacts, new: bool) -> None:
    audit.record_event(
        s,
        f"documents/{doc.id}",
        EVENT_ISSUED if new else EVENT_COPY,
        {
            "kind": doc.kind,
            "number": doc.number,
            "content_sha256": facts.sha256,
            "made_by": facts.made_by.username,
        },
    )


def sign(
    station: Station,
    prepared: Prepared,
    pdf: bytes,
    area: Any,
    timestamper: Any,
    font: int = 7,
) -> bytes:
    ts = (
        timestamper
        if timestamper is not None
        else timestamper_for(station.location.settings.timestamp_url)
    )
    kind, number, record = prepared.kind, prepared.number, prepared.record
    reason = (
        f"qcstation {kind} {number}; inspection {record.inspection.id}; "
        f"record sha256 {record.record_hash}"
    )
    try:
        return sign_pdf(
            pdf,
            _identity(prepared.hands),
            area,
            reason,
            station.name,
            _stamp(kind, number, station.location.settings.plant_name),
            ts,
            font,
            content=prepared.facts.content(),
        )
    except TimestampUnavailable as exc:
        raise SigningRefused(
            f"the time-stamp server {station.location.settings.timestamp_url or ''} did not "
            f"answer ({exc}): check the network, or clear the time-stamp server in the "
            f"settings to sign without one (PAdES B-B); {kind} {number} was not written"
        ) from None


def exported(
    station: Station, prepared: Prepared, path: Path, signed: bytes, timestamper: Any
) -> Exported:
    ts = timestamper is not None or bool(station.location.settings.timestamp_url)
    return Exported(
        prepared.kind,
        prepared.number,
        prepared.record.inspection.id,
        path,
        hashlib.sha256(signed).hexdigest(),
        prepared.record.record_hash,
        ts,
        prepared.facts.sha256,
        prepared.supersedes,
    )
