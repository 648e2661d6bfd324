"""Checking the audit trail: the chain, its signatures, this station's anchor, and every
audited row against its latest entry.

A seal (the signature on the last entry of a flush) counts only when its key was
certified by the plant root this station pinned, for the very actor the entries name, and
was not revoked earlier in the chain. The root is pinned outside the database (in the
station's anchor file, at init or join), so replacing the keys in the database does not
make forged seals count.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from cryptography import x509
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qcstation.accounts import keys
from qcstation.domain.users import ROOT_ACTOR, Role
from qcstation.services import _keyring
from qcstation.services.context import Station
from qcstation.store import anchors, audit, audit_verify
from qcstation.store.audit_verify import Finding, VerifyReport
from qcstation.store.models import AuditEntry, SigningKeyRow, UserRow

# The audit event a restore writes (services/restore.py).
RESTORE_EVENT = "restore"

__all__ = [
    "Finding",
    "Seals",
    "VerifyReport",
    "check_anchor",
    "fingerprint",
    "pin",
    "verify",
]


def fingerprint(cert: x509.Certificate) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding

    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


@dataclass(frozen=True)
class _Key:
    owner: str | None  # the actor this key speaks for
    public: keys.PublicKey | None
    problem: str | None  # why it is not certified for its owner (None: it is)
    pending: bool = False  # no certificate yet: an administrator's creation may vouch


class Seals:
    """The plant's keys as the verifier trusts them: certified by the pinned root, or made
    for their owner by an administrator (a new user's key, before `keys issue`)."""

    def __init__(self, session: Session, root: x509.Certificate | None):
        self.keys: dict[str, _Key] = {}
        rows = session.execute(
            select(SigningKeyRow, UserRow.username).outerjoin(
                UserRow, UserRow.id == SigningKeyRow.user_id
            )
        ).all()
        for row, username in rows:
            self.keys[row.key_id] = self._judge(row, username, root)
        self.admins = set(
            session.scalars(select(UserRow.username).where(UserRow.role == Role.ADMIN.value))
        )

    @staticmethod
    def _judge(row: SigningKeyRow, username: str | None, root: x509.Certificate | None) -> _Key:
        owner = username if row.kind == _keyring.USER else audit.actor_for_kind(row.kind)
        try:
            public = keys.load_public_pem(row.public_key)
        except (ValueError, keys.KeyFileError):
            return _Key(owner, None, "its public key is damaged")
        if root is None:
            return _Key(owner, public, "the plant has no root certificate to check it against")
        try:
            cert = keys.load_certs_pem(row.certificate or "")[0] if row.certificate else None
        except keys.KeyFileError:
            cert = None
        if cert is None:
            return _Key(owner, public, "the plant root has not certified it yet", pending=True)
        if keys.key_id(keys.certificate_public_key(cert)) != row.key_id:
            return _Key(owner, public, "its certificate is for another key")
        if row.kind == _keyring.ROOT:
            same = fingerprint(cert) == fingerprint(root)
            return _Key(owner, public, None if same else "it is not the pinned plant root")
        if not keys.issued_by(cert, root):
            return _Key(owner, public, "its certificate was not issued by the plant root")
        if row.kind == _keyring.USER and keys.certificate_unit(cert) != username:
            return _Key(owner, public, f"its certificate names {keys.certificate_unit(cert)!r}")
        return _Key(owner, public, None)

    def __call__(
        self,
        key_id: str,
        actor: str,
        message: bytes,
        signature: bytes,
        created_by: str | None,
    ) -> str | None:
        key = self.keys.get(key_id)
        if key is None:
            return "signed with a key this plant does not know"
        if key.owner != actor:
            return f"signed with {key.owner or 'a plant'}'s key, yet it names {actor} as the actor"
        if key.public is None or not keys.verify(key.public, signature, message):
            return "the signature does not match the entry: altered or forged"
        if key.pending and created_by in self.admins and created_by != actor:
            return None  # made for this user by an administrator: vouched for until issued
        if key.problem:
            return f"signed with {actor}'s key, but {key.problem}"
        return None


def _root(session: Session) -> x509.Certificate | None:
    row = _keyring.plant_row(session, _keyring.ROOT)
    if row is None or not row.certificate:
        return None
    try:
        return keys.load_certs_pem(row.certificate)[0]
    except keys.KeyFileError:
        return None


def anchor_path(station: Station) -> Path:
    return station.location.data_dir / anchors.FILE


def verify(
    station: Station,
    root_sha256: str | None = None,
    progress: audit_verify.Progress | None = None,
) -> VerifyReport:
    """Verify one consistent snapshot: other stations may go on writing meanwhile.

    SQLite's read transaction is a snapshot already (WAL); on PostgreSQL the default
    READ COMMITTED would let the chain, the head and the rows be read at different
    moments, and a write committed in between would look like tampering.

    ``root_sha256`` is the plant root's fingerprint as an auditor knows it (printed by
    `qcstation keys public`); without it, the one this station pinned is used.
    ``progress(done, total)``: see store.audit_verify.verify; if it raises (a Cancel), nothing
    is written, not even the anchor.
    """
    path = anchor_path(station)
    saved = anchors.load(path)
    with station.db.read() as s:
        if station.db.dialect == "postgresql":
            s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        chain_id = audit.chain_head(s)[0]
        chain = saved.chains.get(chain_id, anchors.Chain())
        root = _root(s)
        extra: list[Finding] = []
        notes: list[str] = []
        expected = root_sha256 or chain.root_sha256
        found_fp = fingerprint(root) if root is not None else None
        if expected and found_fp != expected:
            extra.append(
                Finding(
                    None,
                    "signing_keys",
                    "root",
                    f"the plant root in the database ({(found_fp or 'none')[:16]}…) is not "
                    f"the one {'given' if root_sha256 else 'this station pinned'} "
                    f"({expected[:16]}…): the plant's keys were replaced",
                )
            )
            root = None  # nothing it certified counts
        elif found_fp:
            how = "as given" if root_sha256 else "as pinned" if chain.root_sha256 else "pinned now"
            notes.append(f"plant root {found_fp[:16]}… ({how})")
        report = audit_verify.verify(s, Seals(s, root), progress=progress)
        if saved.problem:
            extra.append(Finding(None, "anchor", str(path), saved.problem))
        adopted: list[anchors.Restore] = []
        extra += _against_anchor(s, chain, report, notes, adopted)
    if report.ok and not extra and not saved.problem:
        for r in adopted:  # learnt from the trail: this station's anchor now knows it too
            anchors.record_restore(path, chain_id, r, None)
        _remember(station, report, chain_id, found_fp, chain)
    return VerifyReport(
        report.entries,
        report.records,
        extra + report.findings,
        notes + report.notes,
        report.chain_id,
        report.head,
        report.signed_entries,
        report.tips,
    )


def check_anchor(station: Station) -> list[Finding]:
    """The quick part of verify, for the window at every sign-in: is the database still the
    one this station saw (the same plant root, a chain that reaches the newest head it
    anchored)? A few reads, whatever the trail's length; the full check is ``verify``."""
    path = anchor_path(station)
    saved = anchors.load(path)
    if saved.problem:
        return [Finding(None, "anchor", str(path), saved.problem)]
    with station.db.read() as s:
        chain_id, last_id, last_hash = audit.chain_head(s)
        chain = saved.chains.get(chain_id)
        if chain is None:
            return []
        out: list[Finding] = []
        root = _root(s)
        found = fingerprint(root) if root is not None else None
        if chain.root_sha256 and found != chain.root_sha256:
            out.append(
                Finding(
                    None,
                    "signing_keys",
                    "root",
                    f"the plant root in the database ({(found or 'none')[:16]}…) is not the "
                    f"one this station pinned ({chain.root_sha256[:16]}…): the plant's keys "
                    "were replaced",
                )
            )
        head = VerifyReport(0, 0, [], [], chain_id, (last_id, last_hash))
        return out + _against_anchor(s, chain, head, [], [])


def _against_anchor(
    s: Session,
    chain: anchors.Chain,
    report: VerifyReport,
    notes: list[str],
    adopted: list[anchors.Restore],
) -> list[Finding]:
    for r in chain.restores:
        notes.append(
            f"restored by {r.by} at {r.at} from {r.backup}: the trail went from entry "
            f"#{r.before.get('id', 0)} back to #{r.after.get('id', 0)}"
            + (
                f", the restore is entry #{r.after['recorded_at']}"
                if "recorded_at" in r.after
                else ""
            )
            + (f" (the replaced database is kept at {r.safety_copy})" if r.safety_copy else "")
        )
    out: list[Finding] = []
    heads = [chain.head] if chain.head is not None else []
    heads += [h for _, h in sorted(chain.stations.items()) if h != chain.head]
    for head in heads:
        found = _against_head(s, chain, head, report, notes, adopted)
        if found is not None:
            out.append(found)
            break  # one cut or rewrite is named once: the first head it reaches
    return out


def _against_head(
    s: Session,
    chain: anchors.Chain,
    head: anchors.Head,
    report: VerifyReport,
    notes: list[str],
    adopted: list[anchors.Restore],
) -> Finding | None:
    """Does the trail still hold ``head`` (an entry this station saw, by its plant-wide id),
    and, for a station chain's head, does that chain still reach it?"""
    last_id = report.head[0]
    stored = s.scalar(select(AuditEntry.hash).where(AuditEntry.id == head.id))
    if head.id > last_id or stored != head.hash:
        restore = _restore_that_replaced(s, chain, head, report)
        if restore is not None:
            if restore not in adopted:
                adopted.append(restore)
                notes.append(
                    f"restored by {restore.by} at {restore.at} from {restore.backup} (entry "
                    f"#{restore.after.get('recorded_at')} of the trail, signed): this station "
                    f"had seen entry #{head.id}, which that restore replaced"
                )
            return None
    seen = f"on {head.seen_at[:19].replace('T', ' ') or 'an earlier day'} UTC"
    if head.chain and stored is None:
        reached = s.scalar(select(func.max(AuditEntry.seq)).where(AuditEntry.chain == head.chain))
        if (reached or 0) < head.seq:
            return Finding(
                head.id,
                "audit_log",
                "end",
                f"station {head.chain!r}'s chain ends at its entry #{reached or 0}, but this "
                f"station saw entry #{head.id} (that chain's #{head.seq}) {seen}: entries were "
                "cut off the end of that chain, or an older copy of the database was put back",
            )
    if head.id > last_id:
        return Finding(
            head.id,
            "audit_log",
            "end",
            f"the trail ends at entry #{last_id}, but this station saw entry #{head.id} "
            f"{seen}: entries were cut off the end, or an older copy of the database was put "
            "back",
        )
    if stored != head.hash:
        return Finding(
            head.id,
            "audit_log",
            str(head.id),
            "this entry is not the one this station saw when it was written: the trail "
            "was rewritten from here on",
        )
    notes.append(
        f"agrees with what this station saw up to entry #{head.id}"
        + (f" (station {head.chain!r}'s entry #{head.seq})" if head.chain else "")
    )
    return None


def _seen(head: anchors.Head) -> datetime:
    """When this station saw ``head`` (anchors written before microseconds: that second)."""
    try:
        seen = datetime.fromisoformat(head.seen_at)
    except ValueError:
        return datetime.max.replace(tzinfo=timezone.utc)
    return seen if seen.tzinfo else seen.replace(tzinfo=timezone.utc)


def _restore_that_replaced(
    s: Session, chain: anchors.Chain, head: anchors.Head, report: VerifyReport
) -> anchors.Restore | None:
    """An administrator's restore, signed in the trail, that replaced what this station saw.

    On a plant database every station anchors the chain, but only the one that ran the
    restore recorded it. The others learn it from the trail: a restore event, in an intact
    chain, by an administrator (or the plant root), that replaced a trail reaching at least
    the entry this station saw, which it saw before the restore was made. A station that
    saw entries after a restore (or recorded that restore itself) is not covered by it: an
    older copy put back then is still reported.
    """
    if not report.ok or not head.seen_at:
        return None
    admins = set(s.scalars(select(UserRow.username).where(UserRow.role == Role.ADMIN.value)))
    admins.add(ROOT_ACTOR)
    known = {r.after.get("recorded_at") for r in chain.restores}
    events = s.execute(
        select(AuditEntry.id, AuditEntry.at, AuditEntry.actor, AuditEntry.new)
        .where(AuditEntry.entity == audit.EVENT, AuditEntry.action == RESTORE_EVENT)
        .order_by(AuditEntry.id.desc())
    ).all()
    for e in events:
        try:
            detail = json.loads(e.new or "{}")
            replaced = detail.get("replaced_head") or {}
            reached = int(replaced.get("id", -1))
        except (TypeError, ValueError, AttributeError):
            continue
        at = e.at.isoformat(timespec="seconds")
        if e.actor not in admins or e.id in known or reached < head.id or _seen(head) >= e.at:
            continue
        if reached == head.id and replaced.get("hash") != head.hash:
            continue
        return anchors.Restore(
            at,
            e.actor,
            str(detail.get("backup", "")),
            replaced,
            {**(detail.get("restored_head") or {}), "recorded_at": e.id},
            str(detail.get("safety_copy", "")),
        )
    return None


def _remember(
    station: Station,
    report: VerifyReport,
    chain_id: str,
    root_fp: str | None,
    chain: anchors.Chain,
) -> None:
    """After a clean check: pin the root if none was, and anchor the verified head."""
    path = anchor_path(station)
    if root_fp and chain.root_sha256 is None:
        anchors.pin_root(path, chain_id, root_fp)
    with station.db.read() as s:
        last = s.execute(
            select(
                AuditEntry.id,
                AuditEntry.hash,
                AuditEntry.key_id,
                AuditEntry.signature,
                AuditEntry.seq,
                AuditEntry.chain,
            )
            .where(AuditEntry.signature.is_not(None), AuditEntry.id <= report.head[0])
            .order_by(AuditEntry.id.desc())
            .limit(1)
        ).first()
    now = _now(station)
    tips = [replace(h, seen_at=now) for h in report.tips.values()]
    if last is not None:
        anchors.advance(
            path,
            chain_id,
            anchors.Head(
                last.id,
                last.hash,
                last.key_id or "",
                last.signature or "",
                now,
                seq=last.seq or 0,
                chain=last.chain or "",
            ),
            *tips,
        )


def _now(station: Station) -> str:
    return station.now().isoformat()


def pin(station: Station) -> str | None:
    """Pin this plant's root on this station (init, join) and anchor the chain's head."""
    with station.db.read() as s:
        root = _root(s)
        chain_id = audit.chain_head(s)[0]
    if root is None:
        return None
    fp = fingerprint(root)
    path = anchor_path(station)
    pinned = anchors.load(path).chains.get(chain_id)
    if pinned is None or pinned.root_sha256 is None:
        anchors.pin_root(path, chain_id, fp)
    return fp
