"""The audit trail: every create, change and delete of an audited row, chained by SHA-256.

Entries are written by a Session hook during flush, so no service can forget one: a
flush that changes an audited row without an actor in ``session.info`` is refused.
Each entry keeps the full state of the row after the change; ``verify`` checks the
chain links and that every audited row in the database still equals what its latest
entry recorded, so a row changed behind the application's back is named.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, insert, inspect, select, update
from sqlalchemy.orm import Session, UOWTransaction

from qcstation.domain.records import canonical_json, sha256_hex
from qcstation.store.models import AUDITED, AuditEntry, AuditHead, Base
from qcstation.store.types import utcnow

GENESIS = "0" * 64
# Kept as a digest: detectable, not disclosed. Sealed private keys are redacted too: an
# old envelope left in the trail would still open with a password since changed.
REDACTED = {
    "users": {"password_hash"},
    "signing_keys": {"encrypted_key", "sealed_plant_key"},
}

INFO_ACTOR = "qc_actor"
INFO_STATION = "qc_station"
INFO_REASON = "qc_reason"


class AuditError(RuntimeError):
    pass


def _table(obj: Base) -> str:
    return str(obj.__table__.name)  # type: ignore[attr-defined]


def _entity_id(obj: Base) -> str:
    # After the INSERT but before the identity map is updated: read the key columns.
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    if any(part is None for part in key):
        raise AuditError(f"{_table(obj)} row has no primary key yet")
    return "/".join(str(part) for part in key)


def snapshot(obj: Base, old: bool = False) -> dict[str, Any]:
    """The row's column values as plain JSON; with old=True, as they were before this flush."""
    state = inspect(obj)
    redact = REDACTED.get(_table(obj), set())
    out: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if old:
            hist = state.attrs[key].history
            value = hist.deleted[0] if hist.deleted else getattr(obj, key)
        else:
            value = getattr(obj, key)
        if key in redact and value is not None:
            value = "sha256:" + sha256_hex(str(value))
        out[attr.columns[0].name] = value
    return out


def entry_hash(entry: AuditEntry | dict[str, Any], prev_hash: str) -> str:
    fields = entry if isinstance(entry, dict) else _entry_fields(entry)
    return sha256_hex(prev_hash + canonical_json(fields))


def _entry_fields(e: AuditEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": e.at,
        "actor": e.actor,
        "station": e.station,
        "entity": e.entity,
        "entity_id": e.entity_id,
        "action": e.action,
        "old": e.old,
        "new": e.new,
        "reason": e.reason,
    }


def _audited(obj: object) -> bool:
    return isinstance(obj, AUDITED)


def _before_flush(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
    pending: list[tuple[str, Base, str | None]] = []
    session.info["qc_pending"] = pending  # a fresh list: a failed flush leaves nothing behind
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj, include_collections=False):
            pending.append(("update", obj, canonical_json(snapshot(obj, old=True))))
    for obj in session.deleted:
        if _audited(obj):
            pending.append(("delete", obj, canonical_json(snapshot(obj, old=True))))
    for obj in session.new:
        if _audited(obj):
            pending.append(("create", obj, None))


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    pending: list[tuple[str, Base, str | None]] = session.info.pop("qc_pending", [])
    if not pending:
        return
    actor = session.info.get(INFO_ACTOR)
    station = session.info.get(INFO_STATION)
    if not actor or not station:
        raise AuditError("an audited change needs session.info actor and station")
    reason = str(session.info.get(INFO_REASON, ""))
    conn = session.connection()
    head = conn.execute(
        select(AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == 1).with_for_update()
    ).one()
    last_id, last_hash = head.last_id, head.last_hash
    for action, obj, old in pending:
        new = None if action == "delete" else canonical_json(snapshot(obj))
        if action == "update" and new == old:
            continue
        last_id += 1
        fields = {
            "id": last_id,
            "at": utcnow(),
            "actor": str(actor),
            "station": str(station),
            "entity": _table(obj),
            "entity_id": _entity_id(obj),
            "action": action,
            "old": old,
            "new": new,
            "reason": reason,
        }
        digest = entry_hash(fields, last_hash)
        conn.execute(insert(AuditEntry).values(**fields, prev_hash=last_hash, hash=digest))
        last_hash = digest
    conn.execute(
        update(AuditHead).where(AuditHead.id == 1).values(last_id=last_id, last_hash=last_hash)
    )


def lock_chain(session: Session) -> None:
    """Take the chain's head row now (it is taken at the first audited flush anyway):
    from here to commit no other writer, on any station, can append or allocate."""
    session.execute(select(AuditHead.id).where(AuditHead.id == 1).with_for_update())


def install(session_class: type[Session] | Any) -> None:
    """Hook the audit writer into a sessionmaker (or Session class)."""
    event.listen(session_class, "before_flush", _before_flush)
    event.listen(session_class, "after_flush", _after_flush)


@dataclass(frozen=True)
class Finding:
    """Something `audit verify` found wrong, pointing at the entry or the row."""

    entry_id: int | None
    entity: str
    entity_id: str
    message: str

    def __str__(self) -> str:
        where = f"audit entry #{self.entry_id}" if self.entry_id is not None else "no entry"
        return f"{where}, {self.entity} {self.entity_id}: {self.message}"


@dataclass(frozen=True)
class VerifyReport:
    entries: int
    records: int
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return not self.findings


def _iter_entries(session: Session, batch: int = 5000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.id > last).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id
        session.expunge_all()


def verify(session: Session, max_findings: int = 50) -> VerifyReport:
    """Check every link of the chain, then every audited row against its latest entry."""
    findings: list[Finding] = []
    latest: dict[tuple[str, str], tuple[int, str | None]] = {}
    prev, expected_id, count = GENESIS, 1, 0
    for e in _iter_entries(session):
        count += 1
        if e.id != expected_id:
            findings.append(
                Finding(e.id, e.entity, e.entity_id, f"entry #{expected_id} is missing")
            )
        if e.prev_hash != prev:
            findings.append(
                Finding(e.id, e.entity, e.entity_id, "link to the previous entry is broken")
            )
        if entry_hash(e, e.prev_hash) != e.hash:
            findings.append(
                Finding(e.id, e.entity, e.entity_id, "entry was altered (hash does not match)")
            )
        latest[(e.entity, e.entity_id)] = (e.id, e.new)
        prev, expected_id = e.hash, e.id + 1
    head = session.get(AuditHead, 1)
    if head is None or head.last_hash != prev or head.last_id != expected_id - 1:
        findings.append(
            Finding(None, "audit_log", "head", "entries were removed from the end of the chain")
        )
    records = 0
    for model in AUDITED:
        table = str(model.__table__.name)  # type: ignore[attr-defined]
        for obj in session.scalars(select(model)).yield_per(2000):
            records += 1
            key = (table, _entity_id(obj))
            entry_id, recorded = latest.pop(key, (None, None))
            current = canonical_json(snapshot(obj))
            if entry_id is None:
                findings.append(Finding(None, table, key[1], "row exists but was never audited"))
            elif recorded is None:
                findings.append(Finding(entry_id, table, key[1], "row was deleted, yet exists"))
            elif recorded != current:
                findings.append(Finding(entry_id, table, key[1], _difference(recorded, current)))
            if len(findings) >= max_findings:
                return VerifyReport(count, records, findings)
        session.expunge_all()
    for (table, entity_id), (entry_id, recorded) in sorted(latest.items()):
        if recorded is not None:
            findings.append(Finding(entry_id, table, entity_id, "row is missing from the database"))
    return VerifyReport(count, records, findings[:max_findings])


def _difference(recorded: str, current: str) -> str:
    import json

    a, b = json.loads(recorded), json.loads(current)
    changed = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    parts = [f"{k} is {b.get(k)!r}, audit recorded {a.get(k)!r}" for k in changed[:3]]
    return "changed outside the application: " + "; ".join(parts)
