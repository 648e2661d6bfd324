"""Verifying the audit trail: reading every chain and every audited row, and checking
them against each other, in one snapshot.

Kept apart from store/audit.py, which writes the trail (the Session hooks, the chain's
locks, the seals) on every audited flush: this side only reads, once per `audit verify`,
and needs none of the write path's state. It builds on the same definitions (store/audit.py
``entry_hash``, ``hashed_fields``, the seal messages, ``EXCLUDED``...), so an entry is
checked exactly as it was written; store/audit.py does not import this module.

``verify`` walks the chains once, in plant-wide order, checking every link, number and
seal, and then every audited row against its latest entry. The signatures themselves are
checked through a ``SealChecker`` the services give it (they know the plant's keys).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from qcstation.domain.records import canonical_json
from qcstation.store import anchors
from qcstation.store.audit import (
    ANCHOR_EVENT,
    AUTHORS,
    EVENT,
    EXCLUDED,
    GENESIS,
    actor_for_kind,
    chain_head,
    entity_id_of,
    entry_hash,
    entry_seal,
    snapshot,
)
from qcstation.store.models import (
    AUDITED,
    AuditChain,
    AuditEntry,
    AuditHead,
    DefectRow,
    InspectionRow,
    SigningKeyRow,
    UserRow,
)


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
    # The newest sealed entry of every station chain, as verified: its anchor Head.
    tips: dict[str, anchors.Head] = field(default_factory=dict)

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
    AuditEntry.chain,
    AuditEntry.seq,
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


@dataclass
class _Tip:
    """Where the walk stands in one chain: the hash to link to, the place expected next
    (an entry id in the plant chain of format 1, a seq in a station's), unsealed entries."""

    prev: str
    expected: int
    segment: list[Any] = field(default_factory=list)
    sealed: Any = None  # the newest sealed entry


@dataclass
class _Revocation:
    entry_id: int  # the entry that revoked the key
    anchor: tuple[str, int, dict[str, Any]] | None = None  # (chain, seq, other tips)


Progress = Callable[[int, int], None]
PROGRESS_EVERY = 2000  # entries or rows between two progress calls


def _no_progress(done: int, total: int) -> None:
    pass


def verify(
    session: Session,
    check_seal: SealChecker,
    max_findings: int = 50,
    progress: Progress | None = None,
) -> VerifyReport:
    """Check every link and seal of every chain, then every audited row against its entry.

    One pass in plant-wide order (entry id): the plant chain of format 1 first, then the
    station chains interleaved as their entries were allocated. Each chain is linked and
    numbered on its own; a revocation is judged by the anchor written with it.

    ``progress(done, total)`` is called every few thousand entries and rows (total: the
    entries plus the audited rows, counted in the same snapshot); it may raise to stop
    the check, which then writes nothing (a window's Cancel)."""
    step = progress or _no_progress
    total = _steps(session) if progress else 0
    step(0, total)
    findings: list[Finding] = []
    notes: list[str] = []
    chain_id, head_id, head_hash = chain_head(session)
    plant = session.execute(
        select(AuditHead.last_id, AuditHead.last_hash, AuditHead.signed_from).where(
            AuditHead.id == 1
        )
    ).one()
    signed_from = plant.signed_from or 1
    db_tips = {
        r.chain: (int(r.last_seq), str(r.last_hash))
        for r in session.execute(
            select(AuditChain.chain, AuditChain.last_seq, AuditChain.last_hash)
        )
    }
    revoked_now = set(
        session.scalars(select(SigningKeyRow.key_id).where(SigningKeyRow.revoked_at.is_not(None)))
    )
    latest: dict[tuple[str, str], tuple[int, bytes | None]] = {}
    usernames = {i: n for i, n in session.execute(select(UserRow.id, UserRow.username))}
    revocations: dict[str, _Revocation] = {}  # key id -> where it was revoked
    later_seals: list[Any] = []  # station-chain seals by keys revoked by now: judged at the end
    standing: dict[str, tuple[Any, Any]] = {}  # user name -> (role, active), as the chain says
    creators: dict[str, str] = {}  # key id -> the actor whose sealed entries created it
    legacy_tip = _Tip(GENESIS, 1)
    tips: dict[str, _Tip] = {}
    count, signed, legacy, last = 0, 0, 0, (plant.last_id, plant.last_hash)

    def add(f: Finding) -> bool:
        findings.append(f)
        return len(findings) >= max_findings

    for e in _iter_entries(session):
        count += 1
        if count % PROGRESS_EVERY == 0:
            step(count, total)
        last = (e.id, e.hash)
        if e.chain is None:
            tip, place = legacy_tip, e.id
        else:
            tip = tips.setdefault(e.chain, _Tip(plant.last_hash, 1))
            place = e.seq
        if place != tip.expected:
            what = f"entry #{tip.expected} is missing"
            if e.chain is not None:
                what += f" from station {e.chain!r}'s chain"
            if add(Finding(e.id, e.entity, e.entity_id, what)):
                break
        if (
            e.chain is not None
            and e.station != e.chain
            and add(
                Finding(
                    e.id,
                    e.entity,
                    e.entity_id,
                    f"written at station {e.station!r} but found in station {e.chain!r}'s "
                    "chain: moved between chains",
                )
            )
        ):
            break
        if e.prev_hash != tip.prev and add(
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
                and (e.chain is not None or e.id >= signed_from)
                and add(Finding(e.id, e.entity, e.entity_id, problem))
            ):
                break
        tip.prev, tip.expected = e.hash, (place or 0) + 1
        if e.chain is None and e.id < signed_from:
            legacy += 1
        else:
            tip.segment.append(e)
        if e.signature is not None or e.key_id is not None:
            if e.chain is not None and e.key_id in revoked_now:
                later_seals.append(e)
            problem = _check_segment(e, tip.segment, chain_id, revocations, creators, check_seal)
            if problem and add(Finding(e.id, e.entity, e.entity_id, problem)):
                break
            findings += _misattributed(tip.segment, usernames)
            if len(findings) >= max_findings:
                break
            _learn_keys(tip.segment, e, creators, revocations)
            signed += 1
            tip.segment = []
            tip.sealed = e
    else:
        _end_of_chains(legacy_tip, tips, db_tips, (plant.last_id, plant.last_hash), add)
        for e in later_seals:
            problem = _after_revocation(e, revocations)
            if problem and add(Finding(e.id, e.entity, e.entity_id, problem)):
                break
    if legacy:
        notes.append(
            f"{legacy} entries were made before audit entries were signed (before qcstation 0.2); "
            "the signed entries after them cover them through the hash links"
        )
    if tips:
        notes.append(f"{len(tips)} station chain(s), each linked and numbered without a gap")
    records = 0
    if len(findings) < max_findings:
        records = _check_rows(
            session, latest, findings, max_findings, lambda n: step(count + n, total)
        )
    if len(findings) < max_findings:
        findings += _copies_astray(session, max_findings - len(findings))
    return VerifyReport(
        count,
        records,
        findings[:max_findings],
        notes,
        chain_id,
        (head_id, head_hash) if count else last,
        signed,
        {c: _head(t.sealed) for c, t in tips.items() if t.sealed is not None},
    )


def _head(e: Any) -> anchors.Head:
    return anchors.Head(
        e.id, e.hash, e.key_id or "", e.signature or "", "", seq=e.seq or 0, chain=e.chain or ""
    )


def _learn_keys(
    segment: list[Any], seal: Any, creators: dict[str, str], revocations: dict[str, _Revocation]
) -> None:
    """What a sealed segment says about keys: who created each, which it revoked, and the
    anchor that came with a revocation (the other chains' tips at that moment)."""
    revoked_here: list[str] = []
    for made in segment:
        if made.entity == "signing_keys" and made.action == "create" and made.new:
            creators.setdefault(str(json.loads(made.new).get("key_id")), seal.actor)
        key = _revocation(made)
        if key is not None and key not in revocations:
            revocations[key] = _Revocation(made.id)
            revoked_here.append(key)
        if made.entity == EVENT and made.action == ANCHOR_EVENT and made.chain is not None:
            detail = json.loads(made.new or "{}")
            for key in detail.get("revokes", []):
                r = revocations.get(key)
                if r is not None and key in revoked_here and r.anchor is None:
                    r.anchor = (made.chain, made.seq, dict(detail.get("heads") or {}))


def _after_revocation(seal: Any, revocations: dict[str, _Revocation]) -> str | None:
    """A station-chain seal by a revoked key, judged against the revocation's anchor: past
    the tip the anchor saw of its chain, it was written after the revocation."""
    r = revocations.get(seal.key_id)
    if r is None:
        return None
    if r.anchor is None:
        after = seal.id > r.entry_id  # revoked before chains had anchors: all came later
    else:
        chain, seq, heads = r.anchor
        limit = seq if seal.chain == chain else int((heads.get(seal.chain) or [0])[0])
        after = seal.seq > limit
    if not after:
        return None
    return f"signed with a key revoked at entry #{r.entry_id}: written after the revocation"


def _end_of_chains(
    legacy: _Tip,
    tips: dict[str, _Tip],
    db_tips: dict[str, tuple[int, str]],
    plant_head: tuple[int, str],
    add: Any,
) -> None:
    """Every chain sealed to its end, and ending where its tip row says."""
    for tip in [legacy, *(tips[n] for n in sorted(tips))]:
        if tip.segment:
            first = tip.segment[0]
            add(
                Finding(
                    first.id,
                    first.entity,
                    first.entity_id,
                    f"entries #{first.id}–#{tip.segment[-1].id} carry no signature: they were "
                    "written behind the application's back",
                )
            )
    if plant_head != (legacy.expected - 1, legacy.prev):
        add(Finding(None, "audit_log", "head", "entries were removed from the end of the chain"))
    for name in sorted(set(tips) | set(db_tips)):
        seen = tips.get(name)
        walked = (seen.expected - 1, seen.prev) if seen else (0, plant_head[1])
        stored = db_tips.get(name)
        if stored is None:
            add(
                Finding(
                    None,
                    "audit_chains",
                    name,
                    f"station {name!r}'s chain has entries up to #{walked[0]} but no tip: "
                    "written behind the application's back",
                )
            )
        elif stored[0] > walked[0]:
            add(
                Finding(
                    None,
                    "audit_chains",
                    name,
                    f"entries were removed from the end of station {name!r}'s chain: it ends "
                    f"at #{walked[0]}, its tip says #{stored[0]}",
                )
            )
        elif stored != walked:
            add(
                Finding(
                    None,
                    "audit_chains",
                    name,
                    f"station {name!r}'s chain does not end where its tip says (#{stored[0]}; "
                    f"the entries reach #{walked[0]}): its tip was moved",
                )
            )


def _check_segment(
    seal: Any,
    segment: list[Any],
    chain_id: str,
    revocations: dict[str, _Revocation],
    creators: dict[str, str],
    check_seal: SealChecker,
) -> str | None:
    if seal.key_id is None or seal.signature is None:
        return "the entry's signature or its key is missing"
    strangers = sorted({e.actor for e in segment if e.actor != seal.actor})
    if strangers:
        return f"entries signed by {seal.actor}'s key claim another actor ({', '.join(strangers)})"
    r = revocations.get(seal.key_id)
    if seal.chain is None and r is not None and seal.id > r.entry_id:
        return f"signed with a key revoked at entry #{r.entry_id}: written after the revocation"
    try:
        raw = base64.b64decode(seal.signature, validate=True)
    except ValueError:
        return "the signature is damaged"
    message = entry_seal(chain_id, seal)
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


def _copies_astray(session: Session, limit: int) -> list[Finding]:
    """Defects whose copies of their inspection's values (EXCLUDED from the trail, kept by
    the database's triggers for the dashboards) differ from that inspection: only a hand
    that turned the triggers off could make one, and the dashboards would count it wrongly.
    """
    copied = sorted(EXCLUDED["defects"])
    differs = or_(
        *(getattr(DefectRow, c).is_distinct_from(getattr(InspectionRow, c)) for c in copied)
    )
    rows = session.execute(
        select(DefectRow.id, DefectRow.inspection_id)
        .join(InspectionRow, InspectionRow.id == DefectRow.inspection_id)
        .where(differs)
        .order_by(DefectRow.id)
        .limit(limit)
    ).all()
    return [
        Finding(
            None,
            "defects",
            str(defect_id),
            f"its copies of inspection {inspection_id}'s {', '.join(copied)} differ from the "
            "inspection (changed outside the application): the dashboards count it wrongly",
        )
        for defect_id, inspection_id in rows
    ]


def _steps(session: Session) -> int:
    """How many entries and audited rows ``verify`` will read: its progress's total."""
    n = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    for model in AUDITED:
        n += session.scalar(select(func.count()).select_from(model)) or 0
    return int(n)


def _check_rows(
    session: Session,
    latest: dict[tuple[str, str], tuple[int, bytes | None]],
    findings: list[Finding],
    max_findings: int,
    progress: Callable[[int], None],
) -> int:
    records = 0
    for model in AUDITED:
        table = str(model.__table__.name)  # type: ignore[attr-defined]
        for obj in session.scalars(select(model)).yield_per(2000):
            records += 1
            if records % PROGRESS_EVERY == 0:
                progress(records)
            entity_id = entity_id_of(obj)
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
