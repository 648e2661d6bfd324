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

The station's side, with the server away, is in offline_copy.py: its local copy (offline.db),
what may change there, and the outbox where completed inspections wait. This module talks
to the server: it copies the reference data to the station (``pull``), delivers the
outbox (``push``), and does both at each sync (``sync``, ``try_sync``).

What the server accepts is in sync_checks.py: the station's signature (its station key,
services/station_keys.py), the inspectors' own signed audit entries, the rows as signed,
the verdict derived again. A record it refuses is set aside on the station with the
reason, and the next one goes: one bad record never stops the queue, nor is it retried.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from sqlalchemy import select, text
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from qcstation import config
from qcstation.domain.records import canonical_json
from qcstation.domain.users import User
from qcstation.services import audit as audit_service
from qcstation.services import numbering, station_keys, sync_checks
from qcstation.services.context import Station, open_station
from qcstation.services.errors import SigningRefused
from qcstation.services.offline_copy import (
    CHILDREN,
    REFERENCE,
    REFERENCE_COPY,
    from_columns,
    queue,
    row_columns,
    waiting,
)
from qcstation.store import anchors, audit
from qcstation.store import repositories as repo
from qcstation.store.database import DatabaseError, DatabaseUnavailable
from qcstation.store.evidence import EvidenceError
from qcstation.store.models import (
    Base,
    InspectionRow,
    OutboxRow,
    ReceiptRow,
    SigningKeyRow,
    TemplateRow,
    UserRow,
)
from qcstation.store.models import Station as StationRow

# step(done, total): progress between the records of an attempt, and where it may stop
Step = Callable[[int, int], None]


@dataclass(frozen=True)
class SyncResult:
    pulled: int  # reference rows added or changed on the station
    queued: int  # completed inspections newly put in the outbox
    sent: int  # delivered to the server now
    already: int  # the server had them already (a delivery whose acknowledgement was lost)
    waiting: int  # still in the outbox
    refused: tuple[tuple[str, str], ...] = ()  # (record id, why) set aside by this sync


@dataclass(frozen=True)
class Pushed:
    sent: int
    already: int
    refused: tuple[tuple[str, str], ...] = ()


def open_server(location: config.Location, local: Station) -> Station:
    """The plant server, for a sync from ``local``; when it does not answer, the error says
    how many completed inspections wait in the outbox (nothing is lost)."""
    try:
        return open_station(location)
    except DatabaseUnavailable as exc:
        raise DatabaseUnavailable(
            f"{exc}; {waiting(local)} completed inspection(s) wait in the outbox "
            "and go at the next sync"
        ) from None


# --- server to station: reference data ---------------------------------------------------


def pull(server: Station, local: Station, actor: User) -> int:
    """Copy the server's stations, users, keys, checklists and defect catalog to the
    station; ``actor`` (signed in) signs the copy into the station's own trail."""
    with server.db.read() as s:
        wanted = {m: [row_columns(r) for r in s.scalars(select(m))] for m in REFERENCE}
    changed = 0
    with local.db.write(actor, local.name, reason="copy of the plant's reference data") as s:
        s.info[REFERENCE_COPY] = True
        signer = audit.hold_signing(s)  # the actor's key may arrive with this very copy
        for model, rows in wanted.items():
            for values in rows:
                data = from_columns(model, values)
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


# --- station to server -------------------------------------------------------------------


def _deliver(
    server: Station,
    local: Station,
    item: OutboxRow,
    actor: User,
    trust: sync_checks.Trust,
) -> bool:
    """Check one record and write it on the server with its receipt, in one transaction.
    True when it was new, False when the server had it already; sync_checks.Refused when
    the server will not take it. A payload that is not what qcstation writes (a field
    missing, a value of the wrong kind, rows the server's tables refuse) is refused too:
    it must not hold the queue up forever."""
    try:
        return _deliver_checked(server, local, item, actor, trust)
    except (KeyError, TypeError, ValueError) as exc:
        raise sync_checks.Refused(
            item.record_id, f"its payload is not one qcstation writes ({type(exc).__name__}: {exc})"
        ) from None
    except (IntegrityError, DatabaseError) as exc:
        cause = exc if isinstance(exc, IntegrityError) else exc.__cause__
        if not isinstance(cause, (IntegrityError, DataError)):
            raise  # the server or the network: the record waits for the next sync
        first = str(cause.orig or cause).strip().splitlines()[0]
        raise sync_checks.Refused(
            item.record_id, f"its rows do not fit the server's tables ({first})"
        ) from None


def _deliver_checked(
    server: Station,
    local: Station,
    item: OutboxRow,
    actor: User,
    trust: sync_checks.Trust,
) -> bool:
    p = sync_checks.parse(item.record_id, item.payload)
    completed = p["inspection"].get("completed_at")
    reason = (
        f"synced from offline station {p['station']} by {actor.username}; inspected there "
        f"by {p['inspector']}, completed at {completed}"
    )
    with server.db.write(actor, str(p["station"])[:64], reason=reason) as s:
        numbering.lock(s)  # one delivery at a time: the receipt check below cannot race
        receipt = s.scalars(
            select(ReceiptRow).where(
                ReceiptRow.record_id == item.record_id, ReceiptRow.version == item.version
            )
        ).first()
        if receipt is not None:
            return _already(item, receipt.payload_sha256)
        exists = s.get(InspectionRow, item.record_id) is not None
        users_by_id = {u.id: u.username for u in s.scalars(select(UserRow))}
        key = (p["template"]["key"], p["template"]["version"])
        tpl = s.scalars(
            select(TemplateRow).where(
                TemplateRow.template_key == key[0], TemplateRow.version == key[1]
            )
        ).first()
        station = s.scalars(select(StationRow).where(StationRow.name == p["station"])).first()
        got = _check_for_batch(
            server, local, s, item, p, trust, None, users_by_id,
            {key: tpl} if tpl is not None else {}, station, exists,
        )  # fmt: skip
        s.add(got.row)
        s.flush()
        for rows in got.children.values():
            s.add_all(rows)
        sync_checks.check_verdict(s, got.row, p["inspection"].get("verdict"))
        s.add(_receipt(server, item, p))
    return True


BATCH = 100  # records per server transaction when the outbox catches up


class _OneByOne(Exception):
    """The batch cannot be written as a whole (rows the server's tables refuse, a verdict
    that is not the rules', the server gone): it is rolled back and its records go one
    transaction each, which names the record at fault."""


@dataclass
class _Accepted:
    item: OutboxRow
    p: dict[str, Any]
    row: InspectionRow
    children: dict[str, list[Base]]


def _deliver_batch(
    server: Station,
    local: Station,
    items: list[OutboxRow],
    actor: User,
    trust: sync_checks.Trust,
) -> tuple[dict[int, bool], dict[int, sync_checks.Refused], list[OutboxRow]]:
    """Check many records and write those accepted, each with its receipt, in one server
    transaction: the same checks as ``_deliver``, with what they read from the server
    read once for the batch (receipts, keys, users, checklists) and the rows written in
    one flush. Returns (new or already there, by outbox id), (refusals, by outbox id) and
    the records left for one-by-one delivery (a record id twice in the batch). Raises
    _OneByOne when the batch must go one record at a time instead."""
    results: dict[int, bool] = {}
    refusals: dict[int, sync_checks.Refused] = {}
    later: list[OutboxRow] = []
    parsed: list[tuple[OutboxRow, dict[str, Any]]] = []
    seen: set[str] = set()
    for item in items:
        if item.record_id in seen:
            later.append(item)
            continue
        seen.add(item.record_id)
        try:
            parsed.append((item, sync_checks.parse(item.record_id, item.payload)))
        except sync_checks.Refused as exc:
            refusals[item.id] = exc
    if not parsed:
        return results, refusals, later
    reason = f"synced from offline station {local.name} by {actor.username}"
    try:
        with server.db.write(actor, local.name[:64], reason=reason) as s:
            numbering.lock(s)  # one delivery at a time: the receipt check below cannot race
            ids = [item.record_id for item, _ in parsed]
            receipts = {
                (r.record_id, r.version): r.payload_sha256
                for r in s.scalars(select(ReceiptRow).where(ReceiptRow.record_id.in_(ids)))
            }
            existing = set(s.scalars(select(InspectionRow.id).where(InspectionRow.id.in_(ids))))
            senders = sync_checks.Senders.read(s, (item.station_key_id for item, _ in parsed))
            users_by_id = {u.id: u.username for u in s.scalars(select(UserRow))}
            templates = {
                (t.template_key, t.version): t
                for t in s.scalars(
                    select(TemplateRow).where(
                        TemplateRow.template_key.in_(
                            {str((p.get("template") or {}).get("key")) for _, p in parsed}
                        )
                    )
                )
            }
            station = s.scalars(select(StationRow).where(StationRow.name == local.name)).first()
            accepted: list[_Accepted] = []
            for item, p in parsed:
                try:
                    known = receipts.get((item.record_id, item.version))
                    if known is not None:
                        results[item.id] = _already(item, known)
                        continue
                    got = _check_for_batch(
                        server, local, s, item, p, trust, senders, users_by_id, templates,
                        station, item.record_id in existing,
                    )  # fmt: skip
                except sync_checks.Refused as exc:
                    refusals[item.id] = exc
                    continue
                except (KeyError, TypeError, ValueError) as exc:
                    refusals[item.id] = _unreadable(item, exc)
                    continue
                accepted.append(got)
            if not accepted:
                return results, refusals, later
            # The inspector and the completion time of each are in its rows and receipt.
            s.info[audit.INFO_REASON] = f"{reason}: {len(accepted)} completed inspection(s)"
            # Inspections first: the children's foreign keys name them (no ORM relation
            # orders the inserts), then every child row and receipt in one flush.
            s.add_all([a.row for a in accepted])
            s.flush()
            receipts_made = [_receipt(server, a.item, a.p) for a in accepted]
            _numbered(s, [*(r for a in accepted for rows in a.children.values() for r in rows)])
            _numbered(s, receipts_made)
            for a, receipt in zip(accepted, receipts_made, strict=True):
                for rows in a.children.values():
                    s.add_all(rows)
                s.add(receipt)
            s.flush()
            templates_parsed = {t.id: repo.template(t) for t in templates.values()}
            for a in accepted:
                sync_checks.check_verdict_of(
                    s,
                    a.row,
                    templates_parsed[a.row.template_id],
                    a.children["answers"],  # type: ignore[arg-type]
                    a.children["defects"],  # type: ignore[arg-type]
                    a.children["evidence"],  # type: ignore[arg-type]
                    a.p["inspection"].get("verdict"),
                )
                results[a.item.id] = True
    except Exception as exc:  # rolled back: the records go one by one, as before batches
        raise _OneByOne(str(exc)) from exc
    return results, refusals, later


def _numbered(s: Session, rows: Sequence[Base]) -> None:
    """On PostgreSQL, give new rows their ids from their tables' sequences in one query per
    table: the flush then sends them as one pipelined INSERT, instead of an INSERT ...
    RETURNING with every row's values spelled out in its text. Elsewhere the flush numbers
    them as always."""
    if s.get_bind().dialect.name != "postgresql":
        return
    by_table: dict[str, list[Base]] = {}
    for row in rows:
        by_table.setdefault(str(row.__table__.name), []).append(row)  # type: ignore[attr-defined]
    for table, group in by_table.items():
        ids = s.scalars(
            text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
            {"t": table, "n": len(group)},
        ).all()
        for row, new_id in zip(group, sorted(ids), strict=True):
            row.id = new_id  # type: ignore[attr-defined]


def _already(item: OutboxRow, known_sha256: str) -> bool:
    if known_sha256 != item.payload_sha256:
        raise sync_checks.Refused(
            item.record_id,
            f"version {item.version} reached the server before with different "
            "content; a completed record never changes (see docs/multi-station.md)",
        )
    return False


def _unreadable(item: OutboxRow, exc: Exception) -> sync_checks.Refused:
    return sync_checks.Refused(
        item.record_id, f"its payload is not one qcstation writes ({type(exc).__name__}: {exc})"
    )


def _check_for_batch(
    server: Station,
    local: Station,
    s: Session,
    item: OutboxRow,
    p: dict[str, Any],
    trust: sync_checks.Trust,
    senders: sync_checks.Senders | None,
    users_by_id: dict[int, str],
    templates: dict[tuple[str, int], TemplateRow],
    station: StationRow | None,
    exists: bool,
) -> _Accepted:
    """The checks on one record (of a batch, or alone: ``_deliver_checked``), before
    anything of it is written: the record's rows, built but not added yet. ``senders``,
    ``templates`` and ``station`` are what the caller read from the server for it."""
    # Read first, as _deliver_checked does for its audit reason: a payload without them is
    # refused in the same words either way ("not one qcstation writes").
    _ = (p["inspection"].get("completed_at"), p["inspector"], p["station"])
    if exists:
        raise sync_checks.Refused(
            item.record_id,
            f"it exists on the server but did not come from station {p['station']}'s "
            "outbox; an inspection belongs to one station",
        )
    sync_checks.check_station(
        s,
        trust.root,
        item.record_id,
        item.version,
        item.payload,
        item.payload_sha256,
        item.station_key_id,
        item.station_signature,
        p,
        local.name,
        senders,
    )
    latest = sync_checks.check_entries(trust, item.record_id, p)
    by = sync_checks.actors(p["audit"]["entries"])
    sync_checks.check_rows(item.record_id, p, latest, by, CHILDREN, users_by_id)
    users = {name: uid for uid, name in users_by_id.items()}
    tpl = templates.get((p["template"]["key"], p["template"]["version"]))
    if tpl is None or tpl.sha256 != p["template"]["sha256"]:
        raise sync_checks.Refused(
            item.record_id,
            f"the server has no checklist {p['template']['key']}@{p['template']['version']} "
            "with the content the station used",
        )
    if station is None:
        raise sync_checks.Refused(
            item.record_id, f"station {p['station']!r} is not registered on the server"
        )
    for ev in p["evidence"]:  # files first: a row never points at a missing file
        try:
            server.evidence.put(local.evidence.read(ev["sha256"]))
        except EvidenceError as exc:  # reading checks the file against its name
            raise sync_checks.Refused(item.record_id, str(exc)) from None
    ins = from_columns(InspectionRow, p["inspection"])
    ins.update(template_id=tpl.id, inspector_id=users[p["inspector"]], station_id=station.id)
    children: dict[str, list[Base]] = {}
    for name, model, by_column in CHILDREN:
        children[name] = []
        for values in p[name]:
            child = from_columns(model, values)
            child.pop("id")  # the server numbers its own rows
            child[by_column] = users[values["by"]]
            children[name].append(model(**child))
    return _Accepted(item, p, InspectionRow(**ins), children)


def _receipt(server: Station, item: OutboxRow, p: dict[str, Any]) -> ReceiptRow:
    return ReceiptRow(
        record_id=item.record_id,
        version=item.version,
        kind=item.kind,
        station=p["station"],
        payload_sha256=item.payload_sha256,
        station_audit=canonical_json(p["audit"]),
        received_at=server.now(),
        station_key_id=item.station_key_id,
        station_signature=item.station_signature,
    )


def trusted_root(server: Station) -> x509.Certificate | None:
    """The plant root in the server's database, if it is the one this station pinned."""
    with server.db.read() as s:
        root = sync_checks.plant_root(s)
        chain_id = audit.chain_head(s)[0]
    pinned = anchors.load(server.location.data_dir / anchors.FILE).chains.get(chain_id)
    pinned_fp = pinned.root_sha256 if pinned is not None else None
    if root is not None and pinned_fp and audit_service.fingerprint(root) != pinned_fp:
        raise SigningRefused(
            "the plant root on the server is not the one this station pinned: the plant's "
            "keys were replaced; nothing is sent (run `qcstation audit verify`)"
        )
    return root


def _own_key_certified(server: Station, local: Station) -> None:
    """A key waiting for the plant root's certificate is not the records' fault: nothing
    is sent (and nothing set aside) until an administrator issues it."""
    key_id = station_keys.load(local.location).key_id
    with server.db.read() as s:
        row = s.scalars(select(SigningKeyRow).where(SigningKeyRow.key_id == key_id)).first()
    if row is not None and row.revoked_at is None and not row.certificate:
        raise SigningRefused(
            f"station {local.name!r}'s key waits for the plant root's certificate, so nothing "
            "was sent; an administrator runs `qcstation keys issue`, then sync again"
        )


def push(server: Station, local: Station, actor: User, step: Step | None = None) -> Pushed:
    """Deliver the outbox in order. A record the server refuses is set aside with the
    reason and the next one goes; any other failure (the network, the server) stops
    here and everything left waits for the next sync. ``step(done, total)`` is called
    before each batch (progress, and a place to stop: it may raise; what was delivered
    stays delivered and marked, the rest waits)."""
    with local.db.read() as s:
        items = s.scalars(
            select(OutboxRow)
            .where(OutboxRow.sent_at.is_(None), OutboxRow.refused_at.is_(None))
            .order_by(OutboxRow.id)
        ).all()
    if not items:
        return Pushed(0, 0)
    root = trusted_root(server)
    _own_key_certified(server, local)
    with server.db.read() as s:
        trust = sync_checks.Trust.read(s, root)
    sent = already = 0
    refusals: list[tuple[str, str]] = []
    for start in range(0, len(items), BATCH):
        if step is not None:
            step(start, len(items))  # between batches: the place to stop
        batch = list(items[start : start + BATCH])
        try:
            results, refused_now, later = _deliver_batch(server, local, batch, actor, trust)
        except _OneByOne:
            results, refused_now, later = {}, {}, batch
        _mark(local, batch, results, refused_now)
        for item in batch:
            if item.id in refused_now:
                refusals.append((item.record_id, refused_now[item.id].why))
            elif item.id in results:
                sent += results[item.id]
                already += not results[item.id]
        for item in later:
            outcome = _deliver_one(server, local, item, actor, trust)
            if isinstance(outcome, sync_checks.Refused):
                refusals.append((item.record_id, outcome.why))
            else:
                sent += outcome
                already += not outcome
    return Pushed(sent, already, tuple(refusals))


def _mark(
    local: Station,
    items: list[OutboxRow],
    delivered: dict[int, bool],
    refusals: dict[int, sync_checks.Refused],
) -> None:
    """Note a batch's outcome in the outbox, in one local transaction. A crash before this
    leaves records delivered but not marked: the next push finds their receipts and only
    marks them. That is what makes it exactly once."""
    if not delivered and not refusals:
        return
    now = local.now()
    with local.db.write(None, local.name, reason="outbox delivered") as s:
        rows = {
            r.id: r
            for r in s.scalars(select(OutboxRow).where(OutboxRow.id.in_([*delivered, *refusals])))
        }
        for item in items:
            row = rows.get(item.id)
            if row is None:
                continue
            if item.id in delivered:
                row.sent_at = now
                row.last_error = ""
            elif item.id in refusals:
                row.refused_at = now
                row.last_error = str(refusals[item.id])[:2000]
            else:
                continue
            row.attempts += 1


def _deliver_one(
    server: Station, local: Station, item: OutboxRow, actor: User, trust: sync_checks.Trust
) -> bool | sync_checks.Refused:
    """One record in a transaction of its own, marked in the outbox at once: the refusal,
    or whether it was new. Any other failure is noted on the record and raised."""
    try:
        new = _deliver(server, local, item, actor, trust)
    except sync_checks.Refused as exc:
        _mark(local, [item], {}, {item.id: exc})
        return exc
    except Exception as exc:
        with local.db.write(None, local.name, reason="outbox delivery failed") as s:
            row = s.get_one(OutboxRow, item.id)
            row.attempts += 1
            row.last_error = str(exc)[:2000]
        raise
    _mark(local, [item], {item.id: new}, {})
    return new


def sync(server: Station, local: Station, actor: User, step: Step | None = None) -> SyncResult:
    """Queue, deliver, then refresh the station's reference data, as ``actor``. Each part
    in short transactions of its own: none is held while the server is asked."""
    queued = queue(local)
    pushed = push(server, local, actor, step)
    if step is not None:
        step(1, 1)  # delivered: the last place to stop before the refresh
    pulled = pull(server, local, actor)
    return SyncResult(pulled, queued, pushed.sent, pushed.already, waiting(local), pushed.refused)


def try_sync(
    location: config.Location, local: Station, actor: User, step: Step | None = None
) -> SyncResult | None:
    """One attempt from a station working offline: queue what is completed and, if the
    server answers, deliver and refresh; None when it still does not answer (nothing lost:
    the outbox keeps everything for the next attempt)."""
    queue(local)
    try:
        server = open_station(location)
    except DatabaseUnavailable:
        return None
    try:
        if step is not None:
            step(0, 0)  # connected (maybe after a long wait): stop here if asked
        return sync(server, local, actor, step)
    finally:
        server.close()
