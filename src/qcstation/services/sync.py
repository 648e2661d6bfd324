"""Offline stations: work on a local copy while the plant server is away, then catch up
exactly once. The rules that make conflicts impossible are in docs/multi-station.md:

1. An inspection belongs to the one station that started it; its UUID is its identity
   and only that station's outbox ever sends it.
2. Only completed inspections travel, and a completed inspection never changes (a
   correction is a new inspection with a new id). So (record id, version) names one
   payload forever: the server keeps a receipt with its hash, a second delivery of the
   same payload is acknowledged and dropped, a different payload under the same name is
   refused loudly.
3. Reference data (stations, users, checklists, the defect catalog) flows only from the
   server to the station; the station's copy is overwritten at every sync.
4. Numbers (reports, certificates) and signatures are only made on the server, where the
   plant's keys and counters are: an offline station records; it does not sign or number.

The local copy is data_dir/offline.db (SQLite) with its evidence in
data_dir/offline-evidence; its own audit chain covers what happened offline, and those
entries travel with the record into the server's receipt.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, func, inspect, or_, select
from sqlalchemy.orm import Session

from qcstation import config
from qcstation.domain.inspections import Status
from qcstation.domain.records import canonical_json, sha256_hex
from qcstation.domain.users import User
from qcstation.services import numbering
from qcstation.services.context import Station, connect, open_station
from qcstation.services.errors import Conflict, NotFound, PermissionDenied
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
    ReceiptRow,
    SigningKeyRow,
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
    "this station is working offline: users, checklists and the defect catalog can only "
    "be changed on the plant server (they are copied to the station at each sync)"
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
CHILDREN: tuple[tuple[str, type[Base], str], ...] = (
    ("answers", AnswerRow, "answered_by_id"),
    ("defects", DefectRow, "created_by_id"),
    ("evidence", EvidenceRow, "captured_by_id"),
)


@dataclass(frozen=True)
class SyncResult:
    pulled: int  # reference rows added or changed on the station
    queued: int  # completed inspections newly put in the outbox
    sent: int  # delivered to the server now
    already: int  # the server had them already (a delivery whose acknowledgement was lost)
    waiting: int  # still in the outbox


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


# --- rows as plain JSON and back --------------------------------------------------------


def _columns(obj: Base) -> dict[str, Any]:
    out = {}
    for attr in obj.__mapper__.column_attrs:
        value = getattr(obj, attr.key)
        out[attr.key] = value.isoformat() if isinstance(value, datetime) else value
    return out


def _from_columns(model: type[Base], values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for attr in model.__mapper__.column_attrs:
        if attr.key not in values:
            continue
        value = values[attr.key]
        if isinstance(attr.columns[0].type, UTCDateTime) and value is not None:
            value = datetime.fromisoformat(value)
        out[attr.key] = value
    return out


# --- server to station: reference data ---------------------------------------------------


def pull(server: Station, local: Station, actor: User) -> int:
    """Copy the server's stations, users, keys, checklists and defect catalog to the
    station; ``actor`` (signed in) signs the copy into the station's own trail."""
    with server.db.read() as s:
        wanted = {m: [_columns(r) for r in s.scalars(select(m))] for m in REFERENCE}
    changed = 0
    with local.db.write(actor, local.name, reason="copy of the plant's reference data") as s:
        s.info[REFERENCE_COPY] = True
        signer = audit.hold_signing(s)  # the actor's key may arrive with this very copy
        for model, rows in wanted.items():
            for values in rows:
                data = _from_columns(model, values)
                key = model.__mapper__.primary_key_from_instance(model(**data))
                row = s.get(model, tuple(key) if len(key) > 1 else key[0])
                if row is None:
                    s.add(model(**data))
                    changed += 1
                    continue
                diff = {k: v for k, v in data.items() if getattr(row, k) != v}
                for k, v in diff.items():
                    setattr(row, k, v)
                changed += bool(diff)
            s.flush()
        if signer is not None:
            audit.sign_with(s, signer)
    return changed


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
        "inspection": _columns(ins),
    }
    entity_ids: dict[str, list[str]] = {"inspections": [ins.id]}
    for name, model, by in CHILDREN:
        rows = s.scalars(
            select(model).where(model.inspection_id == ins.id).order_by(model.id)  # type: ignore[attr-defined]
        ).all()
        payload[name] = [{**_columns(r), "by": users[getattr(r, by)]} for r in rows]
        entity_ids[name] = [str(r.id) for r in rows]  # type: ignore[attr-defined]
    entries = s.scalars(
        select(AuditEntry)
        .where(
            or_(
                *(
                    (AuditEntry.entity == entity) & AuditEntry.entity_id.in_(ids)
                    for entity, ids in entity_ids.items()
                    if ids
                )
            )
        )
        .order_by(AuditEntry.id)
    ).all()
    payload["audit"] = [_columns(e) for e in entries]
    return payload


def queue(local: Station) -> int:
    """Put every completed inspection of this station that is not in the outbox into it."""
    with local.db.write(None, local.name, reason="queue for the server") as s:
        queued = set(s.scalars(select(OutboxRow.record_id)))
        n = 0
        for ins in s.scalars(
            select(InspectionRow)
            .join(StationRow, StationRow.id == InspectionRow.station_id)
            .where(InspectionRow.status == Status.COMPLETED.value, StationRow.name == local.name)
            .order_by(InspectionRow.completed_at)
        ):
            if ins.id in queued:
                continue
            text = canonical_json(_payload(s, ins))
            s.add(
                OutboxRow(
                    record_id=ins.id,
                    version=1,
                    kind="inspection",
                    payload=text,
                    payload_sha256=sha256_hex(text),
                    queued_at=local.now(),
                    sent_at=None,
                    attempts=0,
                    last_error="",
                )
            )
            n += 1
        return n


def waiting(local: Station) -> int:
    with local.db.read() as s:
        return (
            s.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.sent_at.is_(None)))
            or 0
        )


# --- station to server -------------------------------------------------------------------


def _deliver(server: Station, local: Station, item: OutboxRow, actor: User) -> bool:
    """Write one record on the server with its receipt, in one transaction.
    True when it was new, False when the server had it already."""
    p = json.loads(item.payload)
    for ev in p["evidence"]:  # files first: a row never points at a missing file
        stored = server.evidence.put(local.evidence.read(ev["sha256"]))
        assert stored.sha256 == ev["sha256"]
    completed = p["inspection"]["completed_at"]
    reason = (
        f"synced from offline station {p['station']} by {actor.username}; inspected there "
        f"by {p['inspector']}, completed at {completed}"
    )
    with server.db.write(actor, p["station"], reason=reason) as s:
        numbering.lock(s)  # one delivery at a time: the receipt check below cannot race
        receipt = s.scalars(
            select(ReceiptRow).where(
                ReceiptRow.record_id == item.record_id, ReceiptRow.version == item.version
            )
        ).first()
        if receipt is not None:
            if receipt.payload_sha256 != item.payload_sha256:
                raise Conflict(
                    f"inspection {item.record_id} version {item.version} reached the server "
                    "before with different content; a completed record never changes, so "
                    "this copy is refused (see docs/multi-station.md)"
                )
            return False
        if s.get(InspectionRow, item.record_id) is not None:
            raise Conflict(
                f"inspection {item.record_id} exists on the server but did not come from "
                f"station {p['station']}'s outbox; an inspection belongs to one station"
            )
        users = {u.username: u.id for u in s.scalars(select(UserRow))}
        tpl = s.scalars(
            select(TemplateRow).where(
                TemplateRow.template_key == p["template"]["key"],
                TemplateRow.version == p["template"]["version"],
            )
        ).first()
        if tpl is None or tpl.sha256 != p["template"]["sha256"]:
            raise NotFound(
                f"the server has no checklist {p['template']['key']}@{p['template']['version']} "
                "with the content the station used"
            )
        station = s.scalars(select(StationRow).where(StationRow.name == p["station"])).first()
        if station is None:
            raise NotFound(f"station {p['station']!r} is not registered on the server")

        def user_id(name: str) -> int:
            if name not in users:
                raise NotFound(f"user {name!r} of inspection {item.record_id} is not on the server")
            return users[name]

        ins = _from_columns(InspectionRow, p["inspection"])
        if ins["id"] != item.record_id or p["record_id"] != item.record_id:
            raise Conflict(f"outbox entry {item.record_id} holds another record")
        ins.update(template_id=tpl.id, inspector_id=user_id(p["inspector"]), station_id=station.id)
        s.add(InspectionRow(**ins))
        s.flush()
        for name, model, by in CHILDREN:
            for values in p[name]:
                row = _from_columns(model, values)
                row.pop("id")  # the server numbers its own rows
                if row["inspection_id"] != item.record_id:
                    raise Conflict(f"outbox entry {item.record_id} holds another record's rows")
                row[by] = user_id(values["by"])
                s.add(model(**row))
        s.add(
            ReceiptRow(
                record_id=item.record_id,
                version=item.version,
                kind=item.kind,
                station=p["station"],
                payload_sha256=item.payload_sha256,
                station_audit=canonical_json(p["audit"]),
                received_at=server.now(),
            )
        )
    return True


def push(server: Station, local: Station, actor: User) -> tuple[int, int]:
    """Deliver the outbox in order; (sent now, already on the server)."""
    with local.db.read() as s:
        items = s.scalars(
            select(OutboxRow).where(OutboxRow.sent_at.is_(None)).order_by(OutboxRow.id)
        ).all()
    sent = already = 0
    for item in items:
        try:
            new = _deliver(server, local, item, actor)
        except Exception as exc:
            with local.db.write(None, local.name, reason="outbox delivery failed") as s:
                row = s.get_one(OutboxRow, item.id)
                row.attempts += 1
                row.last_error = str(exc)[:2000]
            raise
        # A crash here leaves the record delivered but not marked: the next push finds
        # the receipt and only marks it. That is what makes it exactly once.
        with local.db.write(None, local.name, reason="outbox delivered") as s:
            row = s.get_one(OutboxRow, item.id)
            row.sent_at = local.now()
            row.attempts += 1
            row.last_error = ""
        sent += new
        already += not new
    return sent, already


def sync(server: Station, local: Station, actor: User) -> SyncResult:
    """Queue, deliver, then refresh the station's reference data, as ``actor``."""
    queued = queue(local)
    sent, already = push(server, local, actor)
    pulled = pull(server, local, actor)
    return SyncResult(pulled, queued, sent, already, waiting(local))


def is_offline_copy(station: Station, location: config.Location) -> bool:
    """Whether a station opened for a plant server is in fact its local copy."""
    return not location.is_sqlite and station.location.is_sqlite


def try_sync(location: config.Location, local: Station, actor: User) -> SyncResult | None:
    """One attempt from a station working offline: queue what is completed and, if the
    server answers, deliver and refresh; None when it still does not answer (nothing lost:
    the outbox keeps everything for the next attempt)."""
    queue(local)
    try:
        server = open_station(location)
    except DatabaseUnavailable:
        return None
    try:
        return sync(server, local, actor)
    finally:
        server.close()
