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
the database (store/anchors.py). ``verify`` walks the chain once, in order, and checks the
rows in the database against their latest entries. The signatures themselves are checked
through a ``SealChecker`` the services give it (they know the plant's keys).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Connection, event, insert, inspect, select, update
from sqlalchemy.orm import Session, UOWTransaction

from qcstation.domain.records import canonical_json, sha256_hex
from qcstation.store import anchors
from qcstation.store.models import AUDITED, AuditEntry, AuditHead, Base, SigningKeyRow, UserRow
from qcstation.store.types import utcnow

GENESIS = "0" * 64
SEAL_FORMAT = "qcstation-audit-seal/1"
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
    """The bytes an actor signs: this chain, up to this entry, whose hash is ``digest``."""
    return f"{SEAL_FORMAT}\n{chain_id}\n{entry_id}\n{digest}".encode("ascii")


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
    """The link: SHA-256 of the previous hash and this entry's fields (format 1)."""
    fields = entry if isinstance(entry, dict) else _entry_fields(entry)
    return sha256_hex(prev_hash + canonical_json(fields))


def _entry_fields(e: Any) -> dict[str, Any]:
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
    items = []
    for action, obj, old in pending:
        new = None if action == "delete" else canonical_json(snapshot(obj))
        if action == "update" and new == old:
            continue
        items.append((_table(obj), _entity_id(obj), action, old, new))
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
    signer: Signer | None = session.info.get(INFO_SIGNER)
    reason = str(session.info.get(INFO_REASON, ""))
    conn = session.connection()
    head = conn.execute(
        select(AuditHead.last_id, AuditHead.last_hash, AuditHead.chain_id)
        .where(AuditHead.id == 1)
        .with_for_update()
    ).one()
    last_id, last_hash, chain_id = head.last_id, head.last_hash, head.chain_id or ""
    if signer is not None:
        _check_signer(session, conn, str(actor), signer)
    rows = []
    for entity, entity_id, action, old, new in items:
        last_id += 1
        fields = {
            "id": last_id,
            "at": utcnow(),
            "actor": str(actor),
            "station": str(station),
            "entity": entity,
            "entity_id": entity_id,
            "action": action,
            "old": old,
            "new": new,
            "reason": reason,
        }
        digest = entry_hash(fields, last_hash)
        # Every row names every column: an executemany takes its columns from the first.
        rows.append(
            {**fields, "prev_hash": last_hash, "hash": digest, "key_id": None, "signature": None}
        )
        last_hash = digest
    if signer is not None:
        signature = base64.b64encode(signer.sign(seal_message(chain_id, last_id, last_hash)))
        rows[-1].update(key_id=signer.key_id, signature=signature.decode("ascii"))
        session.info[LAST_SIGNED] = (
            chain_id,
            anchors.Head(
                last_id,
                last_hash,
                signer.key_id,
                rows[-1]["signature"],
                rows[-1]["at"].isoformat(),  # to the microsecond: restores are compared with it
            ),
        )
        session.info[_UNSIGNED] = 0
    else:
        session.info[_UNSIGNED] = session.info.get(_UNSIGNED, 0) + len(rows)
    conn.execute(insert(AuditEntry), rows)
    conn.execute(
        update(AuditHead).where(AuditHead.id == 1).values(last_id=last_id, last_hash=last_hash)
    )


def _check_signer(session: Session, conn: Connection, actor: str, signer: Signer) -> None:
    """Refuse a key that is not the actor's own, or no longer usable, before it signs."""
    if session.info.get(_SIGNER_OK) == (signer.key_id, actor):
        return
    found = conn.execute(
        select(
            SigningKeyRow.kind,
            SigningKeyRow.revoked_at,
            SigningKeyRow.retired_at,
            UserRow.username,
        )
        .outerjoin(UserRow, UserRow.id == SigningKeyRow.user_id)
        .where(SigningKeyRow.key_id == signer.key_id)
    ).first()
    if found is None:
        raise AuditError(f"the key that signs for {actor} is not one of this plant's keys")
    kind, revoked, _retired, username = found
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
    """Take the chain's head row now (it is taken at the first audited flush anyway):
    from here to commit no other writer, on any station, can append or allocate."""
    session.execute(select(AuditHead.id).where(AuditHead.id == 1).with_for_update())


def chain_head(session: Session) -> tuple[str, int, str]:
    """(chain id, last entry id, last hash) as the database holds them now."""
    row = session.execute(
        select(AuditHead.chain_id, AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == 1)
    ).one()
    return row.chain_id or "", row.last_id, row.last_hash


# --- verifying -----------------------------------------------------------------------------


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
    notes: list[str] = field(default_factory=list)  # what was checked, and against what
    chain_id: str = ""
    head: tuple[int, str] = (0, GENESIS)
    signed_entries: int = 0

    @property
    def ok(self) -> bool:
        return not self.findings


class SealChecker(Protocol):
    """Checks one seal: the key exists, speaks for ``actor``, and signed ``message``;
    ``created_by`` is the actor whose signed entries created the key row (None if not
    seen). Returns what is wrong, or None."""

    def __call__(
        self,
        key_id: str,
        actor: str,
        message: bytes,
        signature: bytes,
        created_by: str | None,
    ) -> str | None: ...


_COLUMNS = (
    AuditEntry.id,
    AuditEntry.at,
    AuditEntry.actor,
    AuditEntry.station,
    AuditEntry.entity,
    AuditEntry.entity_id,
    AuditEntry.action,
    AuditEntry.old,
    AuditEntry.new,
    AuditEntry.reason,
    AuditEntry.prev_hash,
    AuditEntry.hash,
    AuditEntry.key_id,
    AuditEntry.signature,
)


def _iter_entries(session: Session, batch: int = 20000) -> Iterator[Any]:
    last = 0
    while True:
        rows = session.execute(
            select(*_COLUMNS).where(AuditEntry.id > last).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def _digest(text: str | None) -> bytes | None:
    return None if text is None else hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def _revocation(e: Any) -> str | None:
    """The key id a signing_keys entry revokes, if it is the entry that revoked it."""
    if e.entity != "signing_keys" or e.new is None or '"revoked_at":null' in e.new:
        return None
    if e.old is not None and '"revoked_at":null' not in e.old:
        return None
    return str(json.loads(e.new).get("key_id") or "") or None


def verify(
    session: Session,
    check_seal: SealChecker,
    max_findings: int = 50,
) -> VerifyReport:
    """Check every link and seal of the chain, then every audited row against its entry."""
    findings: list[Finding] = []
    notes: list[str] = []
    chain_id, head_id, head_hash = chain_head(session)
    signed_from = session.scalar(select(AuditHead.signed_from).where(AuditHead.id == 1)) or 1
    latest: dict[tuple[str, str], tuple[int, bytes | None]] = {}
    usernames = {i: n for i, n in session.execute(select(UserRow.id, UserRow.username))}
    revoked: dict[str, int] = {}  # key id -> the entry that revoked it
    standing: dict[str, tuple[Any, Any]] = {}  # user name -> (role, active), as the chain says
    creators: dict[str, str] = {}  # key id -> the actor whose sealed entries created it
    segment: list[Any] = []  # entries since the last seal
    prev, expected_id, count, signed, legacy = GENESIS, 1, 0, 0, 0

    def add(f: Finding) -> bool:
        findings.append(f)
        return len(findings) >= max_findings

    for e in _iter_entries(session):
        count += 1
        if e.id != expected_id and add(
            Finding(e.id, e.entity, e.entity_id, f"entry #{expected_id} is missing")
        ):
            break
        if e.prev_hash != prev and add(
            Finding(e.id, e.entity, e.entity_id, "link to the previous entry is broken")
        ):
            break
        if entry_hash(e, e.prev_hash) != e.hash and add(
            Finding(e.id, e.entity, e.entity_id, "entry was altered (hash does not match)")
        ):
            break
        if e.entity != EVENT:
            latest[(e.entity, e.entity_id)] = (e.id, _digest(e.new))
        if e.entity == "users":
            problem = _granted_by_stranger(e, standing)
            if (
                problem
                and e.id >= signed_from
                and add(Finding(e.id, e.entity, e.entity_id, problem))
            ):
                break
        prev, expected_id = e.hash, e.id + 1
        if e.id < signed_from:
            legacy += 1
        else:
            segment.append(e)
        if e.signature is not None or e.key_id is not None:
            problem = _check_segment(e, segment, chain_id, revoked, creators, check_seal)
            if problem and add(Finding(e.id, e.entity, e.entity_id, problem)):
                break
            findings += _misattributed(segment, usernames)
            if len(findings) >= max_findings:
                break
            for made in segment:
                if made.entity == "signing_keys" and made.action == "create" and made.new:
                    creators.setdefault(str(json.loads(made.new).get("key_id")), e.actor)
            signed += 1
            segment = []
        key = _revocation(e)
        if key is not None:
            revoked.setdefault(key, e.id)
    else:
        if segment:
            first = segment[0]
            add(
                Finding(
                    first.id,
                    first.entity,
                    first.entity_id,
                    f"entries #{first.id}–#{segment[-1].id} carry no signature: they were "
                    "written behind the application's back",
                )
            )
        if head_hash != prev or head_id != expected_id - 1:
            add(
                Finding(None, "audit_log", "head", "entries were removed from the end of the chain")
            )
    if legacy:
        notes.append(
            f"{legacy} entries were made before audit entries were signed (before qcstation 0.2); "
            "the signed entries after them cover them through the hash links"
        )
    records = 0
    if len(findings) < max_findings:
        records = _check_rows(session, latest, findings, max_findings)
    return VerifyReport(
        count,
        records,
        findings[:max_findings],
        notes,
        chain_id,
        (expected_id - 1, prev),
        signed,
    )


def _check_segment(
    seal: Any,
    segment: list[Any],
    chain_id: str,
    revoked: dict[str, int],
    creators: dict[str, str],
    check_seal: SealChecker,
) -> str | None:
    if seal.key_id is None or seal.signature is None:
        return "the entry's signature or its key is missing"
    strangers = sorted({e.actor for e in segment if e.actor != seal.actor})
    if strangers:
        return f"entries signed by {seal.actor}'s key claim another actor ({', '.join(strangers)})"
    if seal.key_id in revoked and seal.id > revoked[seal.key_id]:
        return (
            f"signed with a key revoked at entry #{revoked[seal.key_id]}: written after "
            "the revocation"
        )
    try:
        raw = base64.b64decode(seal.signature, validate=True)
    except ValueError:
        return "the signature is damaged"
    message = seal_message(chain_id, seal.id, seal.hash)
    return check_seal(seal.key_id, seal.actor, message, raw, creators.get(seal.key_id))


def _granted_by_stranger(e: Any, standing: dict[str, tuple[Any, Any]]) -> str | None:
    """A user created, or a role or account state changed, by someone who was not an
    administrator at that point of the chain (the plant root and the very first user, who
    creates herself at init, excepted). Keeps ``standing`` up to date as the chain goes.

    A signature proves who wrote an entry, not that they were allowed to: without this an
    inspector could sign, with her own key, the entry that makes her an administrator."""
    if e.new is None:
        return None
    new, old = json.loads(e.new), json.loads(e.old) if e.old else {}
    name = str(new.get("username"))
    before = standing.get(e.actor, (None, None))
    first = not standing
    standing[name] = (new.get("role"), new.get("active"))
    if e.action == "update" and (old.get("role"), old.get("active")) == standing[name]:
        return None  # a password, a name: the account's own business
    if e.actor == actor_for_kind("root") or (e.action == "create" and first and name == e.actor):
        return None
    role, active = before
    if role == "admin" and active:
        return None
    did = (
        f"created {name} as {new.get('role')}"
        if e.action == "create"
        else f"made {name} {new.get('role')}" + ("" if new.get("active") else " (disabled)")
    )
    return (
        f"{e.actor} ({role or 'no user'}) {did}, which only an administrator may: rights "
        "given by someone without the right to give them"
    )


def _misattributed(segment: list[Any], usernames: dict[int, str]) -> Iterator[Finding]:
    for e in segment:
        column = AUTHORS.get(e.entity)
        if column is None or e.action != "create" or e.new is None:
            continue
        author = usernames.get(json.loads(e.new).get(column))
        if author != e.actor:
            yield Finding(
                e.id,
                e.entity,
                e.entity_id,
                f"the row names {author or 'an unknown user'} as its author, but {e.actor} "
                "wrote it",
            )


def _comparable(text: str, table: str) -> dict[str, Any]:
    data = json.loads(text)
    for name in EXCLUDED.get(table, ()):
        data.pop(name, None)
    return {k: v for k, v in data.items() if v is not None}  # a column added later is null


def _check_rows(
    session: Session,
    latest: dict[tuple[str, str], tuple[int, bytes | None]],
    findings: list[Finding],
    max_findings: int,
) -> int:
    records = 0
    for model in AUDITED:
        table = str(model.__table__.name)  # type: ignore[attr-defined]
        for obj in session.scalars(select(model)).yield_per(2000):
            records += 1
            entity_id = _entity_id(obj)
            entry_id, recorded = latest.pop((table, entity_id), (None, None))
            current = canonical_json(snapshot(obj))
            problem = None
            if entry_id is None:
                problem = "row exists but was never audited"
            elif recorded is None:
                problem = "row was deleted, yet exists"
            elif recorded != _digest(current):
                text = session.scalar(select(AuditEntry.new).where(AuditEntry.id == entry_id))
                if text is None or _comparable(text, table) != _comparable(current, table):
                    problem = _difference(text or "{}", current, table)
            if problem:
                findings.append(Finding(entry_id, table, entity_id, problem))
                if len(findings) >= max_findings:
                    return records
        session.expunge_all()
    for (table, entity_id), (entry_id, recorded) in sorted(latest.items()):
        if recorded is not None:
            findings.append(Finding(entry_id, table, entity_id, "row is missing from the database"))
            if len(findings) >= max_findings:
                break
    return records


def _difference(recorded: str, current: str, table: str) -> str:
    a, b = _comparable(recorded, table), _comparable(current, table)
    changed = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    parts = [f"{k} is {b.get(k)!r}, audit recorded {a.get(k)!r}" for k in changed[:3]]
    return "changed outside the application: " + "; ".join(parts)
