"""The audit trail: every create, change and delete of an audited row, chained and signed.

Entries are written by a Session hook during flush, so no service can forget one. Each
entry keeps the full state of the row after the change and links to the one before by
SHA-256. The last entry of every flush carries a signature, by the acting person's key
(opened at sign-in), over the chain's head at that entry (``seal_message``); the entries
before it in the same flush are covered by that signature through the hash links. A
transaction that changed an audited row without such a signature is refused at commit.

So the actor of an entry is proven by a key only that person can open; an entry cannot be
altered, inserted or removed without breaking either a hash link or somebody else's
signature; and what is cut off the end is found by the anchors each station keeps outside
the database (store/anchors.py). Checking the trail (``verify``, which walks the chains
once and checks the rows against their latest entries) is in store/audit_verify.py: it
only reads, and builds on the definitions here; this module does not import it.
"""

from __future__ import annotations

import base64
import functools
import json
from typing import Any, Protocol

from sqlalchemy import Connection, bindparam, event, insert, inspect, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, UOWTransaction

from qcstation.domain.records import canonical_json, sha256_hex
from qcstation.store import anchors
from qcstation.store.models import (
    AUDITED,
    AuditChain,
    AuditEntry,
    AuditHead,
    Base,
    SigningKeyRow,
    UserRow,
)
from qcstation.store.types import utcnow

GENESIS = "0" * 64
# Format 1: the single plant chain (before migration 0012). Format 2: one chain per
# station; an entry's hash also covers its chain and its place there, and a seal names them.
SEAL_FORMAT = "qcstation-audit-seal/1"
SEAL_FORMAT_2 = "qcstation-audit-seal/2"
# The event a revocation writes in the same seal: every other chain's tip at that moment,
# so a seal by the revoked key is judged by its place in its own chain (docs/multi-station.md).
ANCHOR_EVENT = "anchor"
# Kept as a digest: detectable, not disclosed. Sealed private keys are redacted too: an
# old envelope left in the trail would still open with a password since changed.
REDACTED = {
    "users": {"password_hash"},
    "signing_keys": {"encrypted_key", "sealed_plant_key"},
    "plant_key_wraps": {"envelope"},
}
# Operational counters, not part of the quality record: a wrong password must not need a
# signature (nobody is signed in yet), and must not grow the trail.
# signing_keys.sealed_plant_key: where qcstation < 0.2 handed the seal to every user;
# migration 0011 empties it (the wraps live in plant_key_wraps, audited, since).
EXCLUDED = {"users": {"failed_logins"}, "signing_keys": {"sealed_plant_key"}}
# Copies the database keeps of the inspection's values (migration 0018), not part of
# the defect as anyone recorded it: the inspection's own entry holds them.
EXCLUDED["defects"] = {"stage", "inspector_id", "sku", "station_id", "started_at"}
# Entries that record an event rather than a row's new state (an unlock, a restore...).
EVENT = "event"
# Rows that name the person who made them: that person must be the entry's actor, so a
# signature, review or decision cannot be written in someone else's name.
AUTHORS = {
    "signatures": "signer_id",
    "reviews": "reviewer_id",
    "dispositions": "decided_by_id",
    "documents": "issued_by_id",
    "corrections": "created_by_id",
}

INFO_ACTOR = "qc_actor"
INFO_STATION = "qc_station"
INFO_REASON = "qc_reason"
INFO_SIGNER = "qc_signer"  # a domain.users.Credential: key_id and sign(bytes)
_UNSIGNED = "qc_unsigned"  # entries appended since the last signature in this transaction
_SIGNER_OK = "qc_signer_ok"  # key id already checked against the actor in this session
LAST_SIGNED = "qc_last_signed"  # (chain_id, anchors.Head) of the newest signed entry


class AuditError(RuntimeError):
    pass


class Signer(Protocol):
    @property
    def key_id(self) -> str: ...

    def sign(self, data: bytes) -> bytes: ...


def seal_message(chain_id: str, entry_id: int, digest: str) -> bytes:
    """The bytes an actor signed (format 1): this chain, up to this entry, whose hash is
    ``digest``."""
    return f"{SEAL_FORMAT}\n{chain_id}\n{entry_id}\n{digest}".encode("ascii")


def seal_message_2(chain_id: str, station: str, seq: int, entry_id: int, digest: str) -> bytes:
    """The bytes an actor signs (format 2): the plant's trail, this station's chain, up to
    its entry ``seq`` (plant-wide entry ``entry_id``), whose hash is ``digest``."""
    return f"{SEAL_FORMAT_2}\n{chain_id}\n{station}\n{seq}\n{entry_id}\n{digest}".encode()


def entry_seal(chain_id: str, e: Any) -> bytes:
    """What the seal on entry ``e`` (a row or a dict) signed, in the entry's own format."""
    get: Any = e.get if isinstance(e, dict) else lambda k: getattr(e, k)
    if get("chain") is None:
        return seal_message(chain_id, int(get("id")), str(get("hash")))
    return seal_message_2(
        chain_id, str(get("chain")), int(get("seq")), int(get("id")), str(get("hash"))
    )


def _table(obj: Base) -> str:
    return str(obj.__table__.name)  # type: ignore[attr-defined]


def entity_id_of(obj: Base) -> str:
    # After the INSERT but before the identity map is updated: read the key columns.
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    if any(part is None for part in key):
        raise AuditError(f"{_table(obj)} row has no primary key yet")
    return "/".join(str(part) for part in key)


def snapshot(obj: Base, old: bool = False) -> dict[str, Any]:
    """The row's column values as plain JSON; with old=True, as they were before this flush."""
    state = inspect(obj)
    table = _table(obj)
    redact = REDACTED.get(table, set())
    excluded = EXCLUDED.get(table, set())
    out: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        name = attr.columns[0].name
        if name in excluded:
            continue
        if old:
            hist = state.attrs[key].history
            value = hist.deleted[0] if hist.deleted else getattr(obj, key)
        else:
            value = getattr(obj, key)
        if key in redact and value is not None:
            value = "sha256:" + sha256_hex(str(value))
        out[name] = value
    return out


def entry_hash(entry: Any, prev_hash: str) -> str:
    """The link: SHA-256 of the previous hash and this entry's fields. A dict is hashed as
    given; a row in its format (2 when it belongs to a station's chain, else 1)."""
    fields = entry if isinstance(entry, dict) else hashed_fields(entry)
    return sha256_hex(prev_hash + canonical_json(fields))


HASHED_1: tuple[str, ...] = ("id", "at", "actor", "station", "entity", "entity_id", "action")
HASHED_1 = (*HASHED_1, "old", "new", "reason")
HASHED_2 = (*HASHED_1, "chain", "seq")


def hashed_fields(e: Any) -> dict[str, Any]:
    """The fields an entry's hash covers: format 2 adds its chain and its place there."""
    get: Any = e.get if isinstance(e, dict) else lambda k: getattr(e, k)
    names = HASHED_1 if get("chain") is None else HASHED_2
    return {k: get(k) for k in names}


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
    items = []
    for action, obj, old in pending:
        new = None if action == "delete" else canonical_json(snapshot(obj))
        if action == "update" and new == old:
            continue
        items.append((_table(obj), entity_id_of(obj), action, old, new))
    if items:
        _append(session, items)


def record_event(session: Session, subject: str, action: str, detail: dict[str, Any]) -> None:
    """An entry for something that is not a row's new state: who unlocked an account, who
    restored a backup, who took an inspection over. Signed like every other entry."""
    if len(action) > 16:
        raise AuditError(f"event name {action!r} is longer than 16 characters")
    session.flush()  # the rows this event speaks of come first in the chain
    _append(session, [(EVENT, subject[:64], action, None, canonical_json(detail))])


def _append(session: Session, items: list[tuple[str, str, str, str | None, str | None]]) -> None:
    actor = session.info.get(INFO_ACTOR)
    station = session.info.get(INFO_STATION)
    if not actor or not station:
        raise AuditError("an audited change needs session.info actor and station")
    station = str(station)
    signer: Signer | None = session.info.get(INFO_SIGNER)
    reason = str(session.info.get(INFO_REASON, ""))
    conn = session.connection()
    revokes = sorted({k for e, _i, _a, old, new in items if (k := _revokes(e, old, new))})
    n = len(items) + (1 if revokes else 0)
    locked = _lock_tip_signer_ids(conn, station, signer, n)
    if locked is not None:  # PostgreSQL, a signer, a tip: all in one round trip
        seq, last_hash, chain_id, key, ids = locked
        _judge_signer(session, str(actor), signer, key)
    else:
        seq, last_hash, chain_id = _lock_tip(conn, station)  # this station's chain only
        if signer is not None:
            _check_signer(session, conn, str(actor), signer)
    if revokes:
        items = [*items, _anchor_item(conn, station, revokes)]
    if locked is None:
        ids = _allocate_ids(conn, len(items))
    rows = []
    for (entity, entity_id, action, old, new), entry_id in zip(items, ids, strict=True):
        seq += 1
        fields = {
            "id": entry_id,
            "at": utcnow(),
            "actor": str(actor),
            "station": station,
            "entity": entity,
            "entity_id": entity_id,
            "action": action,
            "old": old,
            "new": new,
            "reason": reason,
            "chain": station,
            "seq": seq,
        }
        digest = entry_hash(fields, last_hash)
        # Every row names every column: an executemany takes its columns from the first.
        rows.append(
            {**fields, "prev_hash": last_hash, "hash": digest, "key_id": None, "signature": None}
        )
        last_hash = digest
    rows_: list[dict[str, Any]] = rows
    if signer is not None:
        message = seal_message_2(chain_id, station, seq, ids[-1], last_hash)
        signature = base64.b64encode(signer.sign(message))
        rows_[-1].update(key_id=signer.key_id, signature=signature.decode("ascii"))
        session.info[LAST_SIGNED] = (
            chain_id,
            anchors.Head(
                ids[-1],
                last_hash,
                signer.key_id,
                rows_[-1]["signature"],
                rows_[-1]["at"].isoformat(),  # to the microsecond: restores are compared with it
                seq=seq,
                chain=station,
            ),
        )
        session.info[_UNSIGNED] = 0
    else:
        session.info[_UNSIGNED] = session.info.get(_UNSIGNED, 0) + len(rows)
    tip = {"last_seq": seq, "last_hash": last_hash, "last_id": ids[-1]}
    if conn.dialect.name == "postgresql" and len(rows) <= _ONE_STATEMENT_ROWS:
        # The entries and the tip they end at in one statement (one round trip): a
        # data-modifying WITH runs to completion whether or not the UPDATE reads it.
        params = {f"{k}_{i}": v for i, row in enumerate(rows) for k, v in row.items()}
        conn.execute(_entries_and_tip(len(rows)), {**params, **tip, "tip_chain": station})
        return
    conn.execute(insert(AuditEntry), rows)
    conn.execute(update(AuditChain).where(AuditChain.chain == station).values(**tip))


# Up to this many entries go in with the tip's UPDATE as one statement of bound values
# (16 a row, far below PostgreSQL's 65,535); a longer flush (an import) uses executemany.
_ONE_STATEMENT_ROWS = 64


@functools.lru_cache(maxsize=_ONE_STATEMENT_ROWS)
def _entries_and_tip(n: int) -> Any:
    """INSERT of ``n`` entries (parameters ``<column>_<i>``) inside the tip's UPDATE, all
    bound, so SQLAlchemy compiles it once, not at every save. (It caches no INSERT of
    several VALUES rows: a flush of more than one entry, not a save's, is compiled each
    time.)"""
    cols = AuditEntry.__table__.c
    rows = [{c: bindparam(f"{c.key}_{i}", type_=c.type) for c in cols} for i in range(n)]
    values: Any = rows[0] if n == 1 else rows
    return (
        update(AuditChain)
        .where(AuditChain.chain == bindparam("tip_chain"))
        .values(
            last_seq=bindparam("last_seq"),
            last_hash=bindparam("last_hash"),
            last_id=bindparam("last_id"),
        )
        .add_cte(insert(AuditEntry).values(values).cte("entries"))
    )


def _lock_tip(conn: Connection, station: str) -> tuple[int, str, str]:
    """Lock this station's chain tip until commit (made on its first entry: it starts
    where the plant chain of format 1 ended). Other stations' tips stay free. With it, the
    plant chain's id (set once, when the database is made), which every seal names."""
    chain_id = select(AuditHead.chain_id).where(AuditHead.id == 1).scalar_subquery()
    query = (
        select(AuditChain.last_seq, AuditChain.last_hash, chain_id)
        .where(AuditChain.chain == station)
        .with_for_update(of=AuditChain)
    )
    row = conn.execute(query).first()
    if row is None:
        start = conn.scalar(select(AuditHead.last_hash).where(AuditHead.id == 1)) or GENESIS
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        conn.execute(
            dialect.insert(AuditChain)
            .values(chain=station, last_seq=0, last_hash=start, last_id=0)
            .on_conflict_do_nothing()
        )
        row = conn.execute(query).one()
    return int(row[0]), str(row[1]), str(row[2] or "")


# PostgreSQL: this station's tip locked FOR UPDATE, the signer's key FOR SHARE (see
# _check_signer), the plant chain's id and the entry ids, in one statement. The ids are
# drawn in the outer query, tied to the locked row (a subquery with FOR UPDATE is never
# merged into the query around it), so only once the locks are held: after every id of a
# transaction this one waited for, as when they were drawn in a statement of their own.
_TIP_SIGNER_IDS = text(
    """
    SELECT t.last_seq, t.last_hash, t.chain_id, t.kind, t.revoked_at, t.username,
           ARRAY(SELECT nextval(pg_get_serial_sequence('audit_log', 'id'))
                 FROM generate_series(1, :n) WHERE t.last_seq IS NOT NULL) AS ids
    FROM (
        SELECT c.last_seq, c.last_hash, k.kind, k.revoked_at, u.username,
               (SELECT h.chain_id FROM audit_head h WHERE h.id = 1) AS chain_id
        FROM audit_chains c
        JOIN signing_keys k ON k.key_id = :key_id
        LEFT JOIN users u ON u.id = k.user_id
        WHERE c.chain = :chain
        FOR UPDATE OF c FOR SHARE OF k
    ) t
    """
)


def _lock_tip_signer_ids(
    conn: Connection, station: str, signer: Signer | None, n: int
) -> tuple[int, str, str, tuple[Any, ...], list[int]] | None:
    """What _lock_tip, _check_signer's read and _allocate_ids give, in one round trip;
    None where that does not apply (SQLite, no signer, a station's first entry, a key
    not in this database), and the three run one by one, as they always may."""
    if conn.dialect.name != "postgresql" or signer is None:
        return None
    row = conn.execute(_TIP_SIGNER_IDS, {"chain": station, "key_id": signer.key_id, "n": n})
    got = row.first()
    if got is None:
        return None
    seq, last_hash, chain_id, kind, revoked, username, ids = got
    return int(seq), str(last_hash), str(chain_id or ""), (kind, revoked, username), sorted(ids)


def _allocate_ids(conn: Connection, n: int) -> list[int]:
    """``n`` plant-wide entry ids, in order. PostgreSQL: from audit_log's sequence, which
    no transaction waits on. SQLite: one writer at a time (BEGIN IMMEDIATE), so the next
    after the highest."""
    if conn.dialect.name == "postgresql":
        got = conn.execute(
            text(
                "SELECT nextval(pg_get_serial_sequence('audit_log', 'id')) "
                "FROM generate_series(1, :n)"
            ),
            {"n": n},
        ).scalars()
        return sorted(int(i) for i in got)
    top = int(conn.scalar(text("SELECT coalesce(max(id), 0) FROM audit_log")) or 0)
    return list(range(top + 1, top + n + 1))


def _revokes(entity: str, old: str | None, new: str | None) -> str | None:
    """The key id an entry about to be written revokes (its revoked_at set just now)."""
    if entity != "signing_keys" or new is None or '"revoked_at":null' in new:
        return None
    if old is not None and '"revoked_at":null' not in old:
        return None
    return str(json.loads(new).get("key_id") or "") or None


def _anchor_item(
    conn: Connection, station: str, revokes: list[str]
) -> tuple[str, str, str, str | None, str | None]:
    """The anchor a revocation writes: every other chain's tip, read after the revocation's
    UPDATE got its row lock, so after every transaction that was signing with the key
    (they hold the key's row FOR SHARE until they commit) and before any that will (they
    wait for this one, then find the key revoked)."""
    heads = {
        c: [int(n), h]
        for c, n, h in conn.execute(
            select(AuditChain.chain, AuditChain.last_seq, AuditChain.last_hash)
        )
        if c != station
    }
    detail = {"revokes": revokes, "heads": heads}
    return (EVENT, f"audit_chains/{station}"[:64], ANCHOR_EVENT, None, canonical_json(detail))


def _check_signer(session: Session, conn: Connection, actor: str, signer: Signer) -> None:
    """Refuse a key that is not the actor's own, or no longer usable, before it signs."""
    if session.info.get(_SIGNER_OK) == (signer.key_id, actor):
        return
    # FOR SHARE until commit: a revocation of this key waits for this transaction, and
    # its anchor then sees every entry it sealed (_anchor_item). Other signers of the same
    # key share the lock; nobody else waits.
    found = conn.execute(
        select(SigningKeyRow.kind, SigningKeyRow.revoked_at, UserRow.username)
        .outerjoin(UserRow, UserRow.id == SigningKeyRow.user_id)
        .where(SigningKeyRow.key_id == signer.key_id)
        .with_for_update(read=True, of=SigningKeyRow)
    ).first()
    _judge_signer(session, actor, signer, None if found is None else tuple(found))


def _judge_signer(
    session: Session, actor: str, signer: Signer | None, found: tuple[Any, ...] | None
) -> None:
    """Refuse the key read (kind, revoked_at, owner's username) if it is not the actor's."""
    if signer is None or session.info.get(_SIGNER_OK) == (signer.key_id, actor):
        return
    if found is None:
        raise AuditError(f"the key that signs for {actor} is not one of this plant's keys")
    kind, revoked, username = found
    owner = username if kind == "user" else actor_for_kind(kind)
    if owner != actor:
        raise AuditError(f"the key that signs for {actor} belongs to {owner or 'nobody'}")
    if revoked is not None:
        raise AuditError(
            f"{actor}'s signing key was revoked on {revoked:%Y-%m-%d %H:%M} UTC: nothing "
            "can be recorded with it; ask an administrator for a new key"
        )
    session.info[_SIGNER_OK] = (signer.key_id, actor)


def actor_for_kind(kind: str) -> str | None:
    """The audit actor a plant key (not a user's) signs as."""
    from qcstation.domain.users import ROOT_ACTOR

    return {"root": ROOT_ACTOR}.get(kind)


def _before_commit(session: Session) -> None:
    if session.info.get(_UNSIGNED) is None:
        return
    session.flush()  # commit would flush after this hook: flush first, then judge
    if session.info.get(_UNSIGNED):
        raise AuditError(
            f"{session.info.get(INFO_ACTOR) or 'nobody'} is not signed in with a usable "
            "signing key, so this change cannot be recorded: sign in again, or ask an "
            "administrator to issue a signing key (`qcstation keys issue`)"
        )


def _after_transaction_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        for key in (_UNSIGNED, _SIGNER_OK):
            session.info.pop(key, None)


def install(session_class: type[Session] | Any) -> None:
    """Hook the audit writer into a sessionmaker (or Session class)."""
    event.listen(session_class, "before_flush", _before_flush)
    event.listen(session_class, "after_flush", _after_flush)
    event.listen(session_class, "before_commit", _before_commit)
    event.listen(session_class, "after_transaction_end", _after_transaction_end)


def hold_signing(session: Session) -> Signer | None:
    """Write unsigned for now (the signer's key is not in this database yet: the first
    copy of a plant's keys); ``sign_with`` seals what was written before commit."""
    signer: Signer | None = session.info.get(INFO_SIGNER)
    session.info[INFO_SIGNER] = None
    return signer


def sign_with(session: Session, signer: Signer) -> None:
    """Sign this transaction's entries with a key made in it (a first user, a new key):
    what was written before the key existed is sealed by an entry saying so."""
    session.info[INFO_SIGNER] = signer
    session.info.pop(_SIGNER_OK, None)
    session.flush()
    if session.info.get(_UNSIGNED):
        record_event(session, f"signing_keys/{signer.key_id[:16]}", "key-in-use", {})


def lock_chain(session: Session) -> None:
    """Take this station's chain tip now (it is taken at the first audited flush anyway):
    from here to commit no other writer of this station can append or allocate a number.
    Other stations do not wait."""
    station = session.info.get(INFO_STATION)
    if not station:
        raise AuditError("locking a station's chain needs session.info station")
    _lock_tip(session.connection(), str(station))


# chain_head in plain SQL, for a database file or connection read without the ORM (backups).
HEAD_SQL = (
    "SELECT h.chain_id, coalesce(e.id, h.last_id), coalesce(e.hash, h.last_hash) "
    "FROM audit_head h LEFT JOIN (SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1) e "
    "ON e.id > h.last_id WHERE h.id = 1"
)


def chain_head(session: Session) -> tuple[str, int, str]:
    """(plant chain id, newest entry id, its hash) as this transaction sees the trail."""
    head = session.execute(
        select(AuditHead.chain_id, AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == 1)
    ).one()
    last = session.execute(
        select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    if last is None or last.id <= head.last_id:
        return head.chain_id or "", head.last_id, head.last_hash
    return head.chain_id or "", int(last.id), str(last.hash)
