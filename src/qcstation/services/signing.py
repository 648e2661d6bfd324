"""Electronic signatures on completed inspections: performed, reviewed, approved.

The signer re-enters the password: a wrong one makes no signature and counts toward the
login lockout (services.accounts.login). The password also unseals the signer's private
key, which signs the manifest (printed name, role, UTC and local time, meaning, key)
bound to the SHA-256 of the canonical record. A signed record cannot change: completed
inspections are closed to edits, and a correction is a new version (services.corrections).
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from sqlalchemy import select

from qcstation.accounts import keys
from qcstation.domain.inspections import Status
from qcstation.domain.signing import ESignature, KeyStatus, Manifest, Meaning, SignatureCheck
from qcstation.domain.users import Permission, Role, User
from qcstation.services import _keyring, records
from qcstation.services.accounts import login, require
from qcstation.services.context import Station
from qcstation.services.errors import (
    Conflict,
    LoginFailed,
    NotFound,
    PermissionDenied,
    ServiceError,
)
from qcstation.store.models import InspectionRow, SignatureRow


def local_time(utc: datetime) -> str:
    """The station's wall-clock time, ISO 8601 with its offset and zone name."""
    local = utc.astimezone()
    return f"{local.isoformat(timespec='seconds')} ({local.tzname()})"


def sign(
    station: Station, actor: User, inspection_id: str, meaning: Meaning, password: str
) -> ESignature:
    """Sign a completed inspection; raises without signing when anything is not right."""
    try:
        actor = login(station, actor.username, password)  # signs with the key opened now
    except LoginFailed as exc:
        raise LoginFailed(f"{exc}; nothing was signed") from None
    reason = f"sign as {meaning.value}"
    # Opening the key (a password-based key derivation, tens to hundreds of milliseconds)
    # happens before the write, so saves on other threads never wait for it; the write
    # below checks it is still the user's current key (or opens it there, if it changed).
    early: Any = None
    with station.db.read() as s:
        try:
            early = _keyring.unlock(s, require(s, actor, Permission.INSPECT), password)
        except ServiceError:
            early = None  # said in its turn below, after the checks that come first
    with station.db.write(actor, station.name, reason=reason) as s:
        user = require(s, actor, Permission.INSPECT)
        row = s.get(InspectionRow, inspection_id)
        if row is None:
            raise NotFound(f"no inspection {inspection_id}")
        if row.status != Status.COMPLETED.value:
            raise Conflict(
                f"inspection {inspection_id} is {row.status}: complete it before signing"
            )
        newer = records.superseded_by(s, row.id)
        if newer:
            raise Conflict(f"inspection {inspection_id} was corrected by {newer}: sign that one")
        if meaning is Meaning.PERFORMED:
            if row.inspector_id != user.id:
                raise PermissionDenied("only the inspector who performed it signs as performed")
        else:
            require(s, actor, Permission.REVIEW)
            if row.inspector_id == user.id:
                raise PermissionDenied(
                    f"the inspector cannot also sign their own inspection as {meaning.value}"
                )
        taken = s.scalars(
            select(SignatureRow).where(
                SignatureRow.inspection_id == row.id, SignatureRow.meaning == meaning.value
            )
        ).first()
        if taken is not None:
            raise Conflict(f"this inspection is signed as {meaning.value} already")
        current = _keyring.current_key(s, user.id)
        still = (
            early is not None
            and current is not None
            and current.id == early.key_row_id
            and _keyring.status(current) is KeyStatus.ACTIVE
        )
        identity = early if still else _keyring.unlock(s, user, password)
        record = records.load(s, row.id)
        now = station.now()
        manifest = Manifest(
            inspection_id=row.id,
            record_hash=record.record_hash,
            meaning=meaning,
            username=user.username,
            printed_name=user.full_name,
            role=Role(user.role).value,
            signed_at=now,
            local_time=local_time(now),
            key_id=identity.key_id,
        )
        text = manifest.encoded()
        signature = base64.b64encode(keys.sign(identity.private_key, text)).decode("ascii")
        srow = SignatureRow(
            inspection_id=row.id,
            meaning=meaning.value,
            signer_id=user.id,
            signing_key_id=identity.key_row_id,
            record_hash=record.record_hash,
            manifest=text.decode("utf-8"),
            signature=signature,
            signed_at=now,
        )
        s.add(srow)
        s.flush()
        subject = keys.subject_text(identity.certificate)
        return ESignature(srow.id, manifest, signature, subject)


def signatures(station: Station, inspection_id: str) -> list[ESignature]:
    with station.db.read() as s:
        return [sig for sig, _ in records.signatures(s, inspection_id)]


def check(station: Station, inspection_id: str) -> list[SignatureCheck]:
    """Every signature on the inspection checked against today's record and keys."""
    with station.db.read() as s:
        return records.check(s, records.load(s, inspection_id))
