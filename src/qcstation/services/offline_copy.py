"""A station's offline copy: the local database it works on while the plant server is away,
what may change there, and the outbox where its completed inspections wait for the server.

The copy is data_dir/offline.db (SQLite) with its evidence in data_dir/offline-evidence;
its own audit chain covers what happened offline, and those entries travel with the record
into the server's receipt. On the copy, the reference data (stations, users, checklists,
the defect catalog, SKU specifications) is the server's and is not changed (rule 3 in
services/sync.py). A completed inspection goes into the outbox as one payload: its rows
as plain JSON and the stretch of the station's signed trail that covers them, signed with
the station's key.

Kept apart from services/sync.py, which talks to the plant server (the reference data
copied to the station, the outbox delivered exactly once): everything here happens on the
station alone, with the server away; the window queues every minute while offline. The
payload's rows as JSON (``row_columns``, ``from_columns``, ``CHILDREN``) are here, where they
are written; sync.py imports them to read them back on the server. This module never
imports sync.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event, func, inspect, or_, select
from sqlalchemy.orm import Session

from qcstation import config
from qcstation.domain.inspections import Status
from qcstation.domain.records import canonical_json, sha256_hex
from qcstation.services import station_keys, sync_checks
from qcstation.services.context import Station, connect, open_station
from qcstation.services.errors import Conflict, PermissionDenied
from qcstation.store import audit, schema
from qcstation.store.database import DatabaseUnavailable, sqlite_url
from qcstation.store.models import (
    AnswerRow,
    AuditEntry,
    Base,
    DefectCode,
    DefectRow,
    EvidenceRow,
    InspectionRow,
    OutboxRow,
    SigningKeyRow,
    SkuSpecRow,
    TemplateRow,
    UserRow,
)
from qcstation.store.models import Station as StationRow
from qcstation.store.types import UTCDateTime

OFFLINE_NOTICE = (
    "The plant server cannot be reached: this station works offline on its own copy. "
    "Completed inspections wait in its outbox; the window sends them as soon as the "
    "server answers again (or `qcstation sync`); reports, certificates and signatures "
    "wait until the next start online."
)
OFFLINE_REFUSAL = (
    "this station is working offline: users, checklists, the defect catalog and SKU "
    "specifications can only be changed on the plant server (they are copied to the "
    "station at each sync)"
)
# What a login may still change on the offline copy (wrong-password count, a rehash).
LOCAL_USER_FIELDS = {"failed_logins", "password_hash"}
OFFLINE_DB = "offline.db"
OFFLINE_EVIDENCE = "offline-evidence"
# session.info flag: this write is the copy of the server's reference data (rule 3 allows it)
REFERENCE_COPY = "qc_reference_copy"
# Server to station, in foreign-key order.
# Signing keys travel too (still sealed): people sign in and record offline with them.
REFERENCE: tuple[type[Base], ...] = (StationRow, UserRow, TemplateRow, DefectCode, SigningKeyRow)
# SKU specifications too: an inspection started offline freezes the plant's values.
REFERENCE = (*REFERENCE, SkuSpecRow)
CHILDREN: tuple[tuple[str, type[Base], str], ...] = (
    ("answers", AnswerRow, "answered_by_id"),
    ("defects", DefectRow, "created_by_id"),
    ("evidence", EvidenceRow, "captured_by_id"),
)


def offline_location(location: config.Location) -> config.Location:
    settings = location.settings.model_copy(
        update={"database_url": None, "evidence_dir": str(location.data_dir / OFFLINE_EVIDENCE)}
    )
    return config.Location(
        location.data_dir,
        sqlite_url(location.data_dir / OFFLINE_DB),
        settings,
        location.warnings,
    )


def open_local(location: config.Location) -> Station:
    """The station's local copy, created (empty) if it does not exist yet."""
    local = connect(offline_location(location))
    schema.upgrade(local.db.engine)
    return local


def open_for_work(location: config.Location) -> tuple[Station, bool]:
    """The plant server when it answers, else the local copy: (station, online)."""
    try:
        return open_station(location), True
    except DatabaseUnavailable as exc:
        if location.is_sqlite or not (location.data_dir / OFFLINE_DB).exists():
            raise DatabaseUnavailable(
                f"{exc}. This station has no offline copy yet: run `qcstation sync` once "
                "while the server is reachable"
            ) from None
        local = open_station(offline_location(location))
        with local.db.read() as s:
            if not s.scalar(select(func.count()).select_from(UserRow)):
                local.close()
                raise DatabaseUnavailable(
                    f"{exc}. The offline copy holds no users yet: run `qcstation sync` "
                    "while the server is reachable"
                ) from None
        _guard_reference_data(local)
        return local, False


def _guard_reference_data(local: Station) -> None:
    """Rule 3 on the station's copy: no user, checklist, catalog entry or station is
    added, removed or changed here (it would be overwritten, or collide with the server's
    rows at the next sync). A login still counts wrong passwords."""

    def refuse(session: Session, _ctx: Any, _instances: Any) -> None:
        if session.info.get(REFERENCE_COPY):
            return
        for obj in (*session.new, *session.deleted):
            if isinstance(obj, REFERENCE):
                raise PermissionDenied(OFFLINE_REFUSAL)
        for obj in session.dirty:
            if isinstance(obj, REFERENCE) and session.is_modified(obj):
                changed = {
                    a.key for a in inspect(obj).attrs if a.history.has_changes()
                } - LOCAL_USER_FIELDS
                if changed:
                    raise PermissionDenied(OFFLINE_REFUSAL)

    for maker in (local.db._write, local.db._read):
        event.listen(maker, "before_flush", refuse)


def is_offline_copy(station: Station, location: config.Location) -> bool:
    """Whether a station opened for a plant server is in fact its local copy."""
    return not location.is_sqlite and station.location.is_sqlite


# --- rows as plain JSON and back --------------------------------------------------------


def row_columns(obj: Base) -> dict[str, Any]:
    out = {}
    for attr in obj.__mapper__.column_attrs:
        value = getattr(obj, attr.key)
        out[attr.key] = value.isoformat() if isinstance(value, datetime) else value
    return out


def from_columns(model: type[Base], values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for attr in model.__mapper__.column_attrs:
        if attr.key not in values:
            continue
        value = values[attr.key]
        if isinstance(attr.columns[0].type, UTCDateTime) and value is not None:
            value = datetime.fromisoformat(value)
        out[attr.key] = value
    return out


# --- station: the outbox -----------------------------------------------------------------


def _payload(s: Session, ins: InspectionRow) -> dict[str, Any]:
    users = {u.id: u.username for u in s.scalars(select(UserRow))}
    tpl = s.get_one(TemplateRow, ins.template_id)
    station = s.get_one(StationRow, ins.station_id)
    payload: dict[str, Any] = {
        "kind": "inspection",
        "record_id": ins.id,
        "version": 1,
        "station": station.name,
        "template": {"key": tpl.template_key, "version": tpl.version, "sha256": tpl.sha256},
        "inspector": users[ins.inspector_id],
        "inspection": row_columns(ins),
    }
    entity_ids: dict[str, list[str]] = {"inspections": [ins.id]}
    for name, model, by in CHILDREN:
        rows = s.scalars(
            select(model).where(model.inspection_id == ins.id).order_by(model.id)  # type: ignore[attr-defined]
        ).all()
        payload[name] = [{**row_columns(r), "by": users[getattr(r, by)]} for r in rows]
        entity_ids[name] = [str(r.id) for r in rows]  # type: ignore[attr-defined]
    payload["format"] = sync_checks.FORMAT
    payload["audit"] = {
        "chain_id": audit.chain_head(s)[0],
        "entries": [row_columns(e) for e in _signed_stretch(s, entity_ids)],
    }
    return payload


def _signed_stretch(s: Session, entity_ids: dict[str, list[str]]) -> list[AuditEntry]:
    """The station's chain without a gap, from the seal before the record's first entry to
    the seal on its last: every change of the record, each under its actor's signature,
    and nothing of it left out (sync_checks.py checks exactly that)."""
    touching = or_(
        *(
            (AuditEntry.entity == entity) & AuditEntry.entity_id.in_(ids)
            for entity, ids in entity_ids.items()
            if ids
        )
    )
    first, last = s.execute(
        select(func.min(AuditEntry.id), func.max(AuditEntry.id)).where(touching)
    ).one()
    sealed = AuditEntry.signature.is_not(None)
    start = (
        s.scalar(select(func.max(AuditEntry.id)).where(sealed, AuditEntry.id < first)) or 0
    ) + 1
    end = s.scalar(select(func.min(AuditEntry.id)).where(sealed, AuditEntry.id >= last))
    if end is None:  # every commit ends signed: entries written behind qcstation's back
        raise Conflict(
            f"the audit entries of inspection {entity_ids['inspections'][0]} are unsigned"
        )
    return list(
        s.scalars(
            select(AuditEntry).where(AuditEntry.id.between(start, end)).order_by(AuditEntry.id)
        )
    )


def queue(local: Station) -> int:
    """Put every completed inspection of this station that is not in the outbox into it,
    signed with the station's key. Records an older qcstation queued without a signature
    are built again from the local copy and signed (a completed record never changes).

    Called every minute while offline, so it reads only what needs work, not the history:
    the completed inspections with no outbox row (an anti-join on the outbox's record_id
    index: the database answers, no row of what is queued comes back) and the unsigned
    rows. Never a high-water mark on the completion time: an inspection completed under a
    clock set back, or taken over from a station whose clock is behind, is still found."""
    completed_here = (
        select(InspectionRow.id)
        .join(StationRow, StationRow.id == InspectionRow.station_id)
        .where(InspectionRow.status == Status.COMPLETED.value, StationRow.name == local.name)
    )
    with local.db.read() as s:
        new = s.scalars(
            completed_here.outerjoin(OutboxRow, OutboxRow.record_id == InspectionRow.id)
            .where(OutboxRow.id.is_(None))
            .order_by(InspectionRow.completed_at)
        ).all()
        unsigned = s.scalars(
            completed_here.join(OutboxRow, OutboxRow.record_id == InspectionRow.id)
            .where(
                OutboxRow.sent_at.is_(None),
                OutboxRow.refused_at.is_(None),
                or_(OutboxRow.station_signature.is_(None), OutboxRow.station_signature == ""),
            )
            .order_by(InspectionRow.completed_at)
        ).all()
    todo = [*new, *unsigned]
    if not todo:
        return 0
    key = station_keys.load(local.location)
    # The payloads (every row of a record, as canonical JSON) are built in a read: a
    # completed record does not change, and the write that queues them stays short.
    with local.db.read() as s:
        texts = {i: canonical_json(_payload(s, s.get_one(InspectionRow, i))) for i in todo}
    n = 0
    with local.db.write(None, local.name, reason="queue for the server") as s:
        for ins_id, text in texts.items():
            digest = sha256_hex(text)
            row = s.scalars(select(OutboxRow).where(OutboxRow.record_id == ins_id)).first()
            if row is None:
                row = OutboxRow(
                    record_id=ins_id,
                    version=1,
                    kind="inspection",
                    queued_at=local.now(),
                    sent_at=None,
                    attempts=0,
                    last_error="",
                )
                s.add(row)
                n += 1
            row.payload, row.payload_sha256 = text, digest
            row.station_key_id = key.key_id
            row.station_signature = key.sign_outbox(ins_id, row.version or 1, digest)
        return n


def waiting(local: Station) -> int:
    with local.db.read() as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(OutboxRow)
                .where(OutboxRow.sent_at.is_(None), OutboxRow.refused_at.is_(None))
            )
            or 0
        )


def refused(local: Station) -> list[tuple[str, str]]:
    """Records the server refused, set aside here with the reason."""
    with local.db.read() as s:
        return [
            (r.record_id, r.last_error)
            for r in s.scalars(
                select(OutboxRow).where(OutboxRow.refused_at.is_not(None)).order_by(OutboxRow.id)
            )
        ]
