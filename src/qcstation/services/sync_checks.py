"""What the plant server takes from a station's outbox, and why it refuses the rest.

An offline station's outbox is a table in a SQLite file on the bench: anyone at the bench
can write into it. So a record is accepted only when all of this holds:

1. **From the station that made it.** It is signed with the key of the station it names
   (certified by the plant root for ``station:NAME``, not revoked), over its payload's
   hash, and that station is the one delivering it (on PostgreSQL, over that station's
   own login when it uses one). A changed payload, a hash recomputed to match, a record of
   station A sent by station B: refused.
2. **Signed by the people who made it.** The payload carries one unbroken stretch of the
   station's own audit chain, from before the record was started to the signature on its
   completion. Every link and hash is recomputed; every signature is checked against its
   actor's key as the server knows it (certified by the plant root, or made for that user
   by an administrator), not revoked; every entry was written at that station.
3. **The rows are what was signed.** Each delivered row equals its latest state in that
   stretch, written by the person the row names (the inspector, whoever answered, logged
   or captured), and no row of the record in the stretch is left out.
4. **The verdict is the rules' verdict.** It is derived again on the server from the
   answers, defects, photos and the template version the station used, and must be the
   one delivered.

A refusal names its reason; the station keeps the record aside (services/sync.py) and
goes on with the next one. These checks run wherever the sync runs: a person with their
own modified qcstation can skip them, but then the rows arrive signed by that person's own
key in the server's trail, and nothing in them can be signed as someone else.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509
from sqlalchemy import select
from sqlalchemy.orm import Session

from qcstation.accounts import keys
from qcstation.domain.inspections import Status
from qcstation.domain.records import canonical_json, sha256_hex
from qcstation.domain.templates import ChecklistTemplate
from qcstation.services import _keyring, plant_roles, station_keys
from qcstation.services.audit import Seals
from qcstation.services.errors import Conflict
from qcstation.store import audit as chain
from qcstation.store import repositories as repo
from qcstation.store.models import (
    AnswerRow,
    AuditEntry,
    Base,
    DefectRow,
    EvidenceRow,
    InspectionRow,
    SigningKeyRow,
)
from qcstation.store.types import UTCDateTime

FORMAT = 2  # payloads with signed audit stretches; format 1 carried the record's entries only
RECORD_ENTITIES = ("inspections", "answers", "defects", "evidence")


class Refused(Conflict):
    """A record the server will not take: kept aside on the station, never retried."""

    def __init__(self, record_id: str, why: str):
        super().__init__(f"inspection {record_id} refused: {why}")
        self.record_id = record_id
        self.why = why


def parse(record_id: str, payload: str) -> dict[str, Any]:
    try:
        p = json.loads(payload)
    except ValueError:
        raise Refused(record_id, "its payload is not readable JSON") from None
    if not isinstance(p, dict) or p.get("format") != FORMAT:
        raise Refused(
            record_id,
            "its payload carries no signed audit entries (written by hand, or queued by an "
            "older qcstation and not signed again)",
        )
    if p.get("record_id") != record_id:
        raise Refused(record_id, f"its payload holds another record ({p.get('record_id')})")
    return p


# --- 1. the station ---------------------------------------------------------------------------


@dataclass
class Senders:
    """What the station check reads from the server, read once for a batch of records:
    the station login this connection uses and the signing keys the records name. A key's
    owner and certificate are judged once per batch, not once per record."""

    login: str | None
    keys: dict[str, SigningKeyRow]
    owners: dict[str, str | None] = field(default_factory=dict)
    vouched: dict[tuple[str, str], str | None] = field(default_factory=dict)
    public: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, s: Session, key_ids: Iterable[str | None]) -> Senders:
        wanted = sorted({k for k in key_ids if k})
        rows = (
            s.scalars(select(SigningKeyRow).where(SigningKeyRow.key_id.in_(wanted))).all()
            if wanted
            else []
        )
        return cls(plant_roles.current_login(s.connection()), {r.key_id: r for r in rows})

    def owner(self, row: SigningKeyRow) -> str | None:
        if row.key_id not in self.owners:
            self.owners[row.key_id] = station_keys.named(row)
        return self.owners[row.key_id]

    def problem(self, row: SigningKeyRow, named: str, root: x509.Certificate | None) -> str | None:
        if (row.key_id, named) not in self.vouched:
            self.vouched[(row.key_id, named)] = station_keys.certified_for(row, named, root)
        return self.vouched[(row.key_id, named)]

    def verify(self, row: SigningKeyRow, raw: bytes, message: bytes) -> bool:
        if row.key_id not in self.public:
            self.public[row.key_id] = keys.load_public_pem(row.public_key)
        return keys.verify(self.public[row.key_id], raw, message)


def check_station(
    s: Session,
    root: x509.Certificate | None,
    record_id: str,
    version: int,
    payload: str,
    payload_sha256: str,
    key_id: str | None,
    signature: str | None,
    p: Mapping[str, Any],
    sender: str,
    senders: Senders | None = None,
) -> None:
    """Signed by the station it names, with a key the plant certified, and sent by it.
    ``senders``: the server's keys and login read once for many records (else read here)."""
    named = str(p.get("station", ""))
    if sha256_hex(payload) != payload_sha256:
        raise Refused(record_id, "its payload does not match its hash: it was changed")
    if named != sender:
        raise Refused(
            record_id,
            f"it is a record of station {named!r}, sent by station {sender!r}: only the station "
            "that made a record sends it",
        )
    if senders is None:
        senders = Senders.read(s, [key_id])
    login = senders.login
    if login is not None and login != plant_roles.login_role(named):
        raise Refused(
            record_id,
            f"it names station {named!r} but arrived over another station's database login "
            f"({login})",
        )
    if not key_id or not signature:
        raise Refused(
            record_id, "it carries no station signature: it was written into the outbox by hand"
        )
    row = senders.keys.get(key_id)
    if row is None or row.kind != station_keys.STATION:
        raise Refused(record_id, "its station signature is by a key that is no station's")
    owner = senders.owner(row)
    if owner != named:
        raise Refused(
            record_id,
            f"its station signature is by station {owner!r}'s key, but the record names "
            f"station {named!r}",
        )
    problem = senders.problem(row, named, root)
    if problem is not None:
        raise Refused(record_id, f"station {named!r}'s key cannot vouch for it: {problem}")
    try:
        raw = base64.b64decode(signature, validate=True)
    except ValueError:
        raise Refused(record_id, "its station signature is damaged") from None
    message = station_keys.outbox_message(named, record_id, version, payload_sha256)
    if not senders.verify(row, raw, message):
        raise Refused(
            record_id,
            f"station {named!r}'s signature does not match it: the record was changed after "
            "the station signed it",
        )


# --- 2. the people ----------------------------------------------------------------------------


def _entry(values: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(values)
    out["at"] = datetime.fromisoformat(str(values["at"]))
    return out


def _hashed(e: Mapping[str, Any]) -> dict[str, Any]:
    """The fields an entry's hash covers (store/audit.py hashed_fields: format 2, of a
    station's chain, also covers the chain and its place there)."""
    return chain.hashed_fields({"chain": None, "seq": None, **e})


@dataclass
class Trust:
    """The server's keys as the checks trust them, read once per sync: the pinned root,
    every key's seal checker, revocations, and who created each key there."""

    root: x509.Certificate | None
    seals: Seals
    revoked: dict[str, datetime]
    creators: dict[str, str]

    @classmethod
    def read(cls, s: Session, root: x509.Certificate | None) -> Trust:
        keys_by_row = dict(s.execute(select(SigningKeyRow.id, SigningKeyRow.key_id)).all())
        creators = {
            keys_by_row[int(entity_id)]: actor
            for entity_id, actor in s.execute(
                select(AuditEntry.entity_id, AuditEntry.actor).where(
                    AuditEntry.entity == "signing_keys", AuditEntry.action == "create"
                )
            )
            if entity_id.isdigit() and int(entity_id) in keys_by_row
        }
        revoked = {
            k: at
            for k, at in s.execute(
                select(SigningKeyRow.key_id, SigningKeyRow.revoked_at).where(
                    SigningKeyRow.revoked_at.is_not(None)
                )
            )
            if at is not None
        }
        return cls(root, Seals(s, root), revoked, creators)


def check_entries(
    trust: Trust, record_id: str, p: Mapping[str, Any]
) -> dict[tuple[str, str], dict[str, Any] | None]:
    """Check the signed stretch; return the latest state of each row it touches."""
    trail = p.get("audit") or {}
    entries = [_entry(e) for e in trail.get("entries", [])]
    chain_id = str(trail.get("chain_id", ""))
    station = p["station"]
    if not entries:
        raise Refused(record_id, "it carries no audit entries")
    seals, revoked = trust.seals, trust.revoked
    latest: dict[tuple[str, str], dict[str, Any] | None] = {}
    segment: list[dict[str, Any]] = []
    prev = entries[0]["prev_hash"]
    for n, e in enumerate(entries):
        where = f"station entry #{e['id']}"
        if n and e["id"] != entries[n - 1]["id"] + 1:
            raise Refused(record_id, f"its audit entries have a gap before {where}")
        if e["prev_hash"] != prev or chain.entry_hash(_hashed(e), e["prev_hash"]) != e["hash"]:
            raise Refused(record_id, f"{where} was altered (its hash does not match)")
        if e["station"] != station:
            raise Refused(record_id, f"{where} was written at station {e['station']!r}")
        if e.get("chain") is not None and (
            e["chain"] != station or (n and e["seq"] != (entries[n - 1].get("seq") or 0) + 1)
        ):
            raise Refused(record_id, f"{where} is not in order in station {station!r}'s chain")
        prev = e["hash"]
        segment.append(e)
        if e["entity"] != chain.EVENT:
            latest[(e["entity"], e["entity_id"])] = json.loads(e["new"]) if e["new"] else None
        if e["signature"] is None and e["key_id"] is None:
            continue
        strangers = sorted({x["actor"] for x in segment if x["actor"] != e["actor"]})
        if strangers:
            raise Refused(
                record_id,
                f"{where} is signed by {e['actor']}, but entries it seals name "
                f"{', '.join(strangers)}",
            )
        if e["key_id"] in revoked:
            raise Refused(
                record_id,
                f"{where} is signed with {e['actor']}'s key, revoked on "
                f"{revoked[e['key_id']]:%Y-%m-%d %H:%M} UTC",
            )
        try:
            raw = base64.b64decode(str(e["signature"]), validate=True)
        except ValueError:
            raise Refused(record_id, f"{where} has a damaged signature") from None
        message = chain.entry_seal(chain_id, {"chain": None, **e})
        problem = seals(e["key_id"], e["actor"], message, raw, trust.creators.get(e["key_id"]))
        if problem:
            raise Refused(record_id, f"{where}: {problem}")
        segment = []
    if segment:
        raise Refused(record_id, f"its audit entries after #{segment[0]['id']} carry no signature")
    return latest


# --- 3. the rows ------------------------------------------------------------------------------


def state(model: type[Base], values: Mapping[str, Any]) -> dict[str, Any]:
    """A delivered row as its audit entry records it (column names, canonical values);
    columns the trail leaves out (store/audit.py EXCLUDED, e.g. a defect's copies of its
    inspection's values, which the database fills) are left out here too."""
    out = {}
    excluded = chain.EXCLUDED.get(str(model.__table__.name), set())  # type: ignore[attr-defined]
    for attr in model.__mapper__.column_attrs:
        if attr.columns[0].name in excluded:
            continue
        value = values.get(attr.key)
        if isinstance(attr.columns[0].type, UTCDateTime) and value is not None:
            value = datetime.fromisoformat(str(value))
        out[attr.columns[0].name] = value
    return _comparable(json.loads(canonical_json(out)))


def _comparable(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}  # a column added later is null


def check_rows(
    record_id: str,
    p: Mapping[str, Any],
    latest: Mapping[tuple[str, str], dict[str, Any] | None],
    entries_by: Mapping[tuple[str, str], tuple[str, str, str]],
    children: tuple[tuple[str, type[Base], str], ...],
    users_by_id: Mapping[int, str],
) -> None:
    """Every delivered row is its signed latest state, made by whom it names; none missing."""
    ins = p["inspection"]
    signed = latest.get(("inspections", record_id))
    if signed is None or _comparable(signed) != state(InspectionRow, ins):
        raise Refused(record_id, "the inspection is not what its inspector's entries recorded")
    if signed.get("status") != Status.COMPLETED.value:
        raise Refused(record_id, "its signed entries do not complete it")
    first_action, created, _ = entries_by.get(("inspections", record_id), ("", "", ""))
    if first_action != "create":
        raise Refused(record_id, "its audit entries do not reach back to its start")
    if created != p["inspector"] or users_by_id.get(ins["inspector_id"]) != p["inspector"]:
        raise Refused(
            record_id,
            f"it names {p['inspector']} as its inspector, but {created or 'nobody'} started it",
        )
    for entity, model, by in children:
        delivered = {str(v["id"]): v for v in p[entity]}
        in_trail = {
            eid
            for (ent, eid), new in latest.items()
            if ent == entity and new is not None and new.get("inspection_id") == record_id
        }
        if set(delivered) != in_trail:
            missing = sorted(in_trail - set(delivered))
            extra = sorted(set(delivered) - in_trail)
            raise Refused(
                record_id,
                f"its {entity} differ from what was signed at the station"
                + (f" (left out: {', '.join(missing)})" if missing else "")
                + (f" (not signed: {', '.join(extra)})" if extra else ""),
            )
        for eid, values in delivered.items():
            new = latest[(entity, eid)]
            assert new is not None
            if _comparable(new) != state(model, values):
                raise Refused(record_id, f"{entity} {eid} is not what its signed entry recorded")
            _action, _first, last_actor = entries_by[(entity, eid)]
            named = users_by_id.get(values[by])
            if values.get("by") != named or last_actor != named:
                raise Refused(
                    record_id,
                    f"{entity} {eid} names {named or 'an unknown user'} but was written by "
                    f"{last_actor}",
                )


def actors(entries: list[Mapping[str, Any]]) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(first action, its actor, the latest actor) of each row the entries touch."""
    out: dict[tuple[str, str], tuple[str, str, str]] = {}
    for e in entries:
        key = (str(e["entity"]), str(e["entity_id"]))
        action, first, _ = out.get(key, (str(e["action"]), str(e["actor"]), ""))
        out[key] = (action, first, str(e["actor"]))
    return out


# --- 4. the verdict ---------------------------------------------------------------------------


def check_verdict(s: Session, row: InspectionRow, delivered: str | None) -> None:
    """The rules' verdict from the rows as they now stand on the server."""
    s.flush()
    _judge_verdict(repo.inspection(s, row, names=False), delivered)


def check_verdict_of(
    s: Session,
    row: InspectionRow,
    tpl: ChecklistTemplate,
    answers: Iterable[AnswerRow],
    defects: Iterable[DefectRow],
    evidence: Iterable[EvidenceRow],
    delivered: str | None,
) -> None:
    """``check_verdict`` for rows this session has just written (flushed): the same rules
    over the same rows, taken from the session instead of read back one query at a time."""
    photos = Counter((e.item_id, e.position) for e in evidence)
    current = repo.inspection(
        s,
        row,
        tpl,
        photos=dict(photos),
        answer_rows={(a.item_id, a.position): a for a in answers},
        names=False,
        defects=[repo.defect(d) for d in sorted(defects, key=lambda d: d.id)],
    )
    _judge_verdict(current, delivered)


def _judge_verdict(current: Any, delivered: str | None) -> None:
    missing = current.missing()
    if missing:
        raise Refused(current.id, f"it is not complete: {len(missing)} required answer(s) missing")
    derived = current.current_verdict().value
    if derived != delivered:
        raise Refused(
            current.id,
            f"it says {str(delivered).upper()}, but its answers and defects give "
            f"{derived.upper()} by the checklist's rules",
        )


def plant_root(s: Session) -> x509.Certificate | None:
    row = _keyring.plant_row(s, _keyring.ROOT)
    if row is None or not row.certificate:
        return None
    try:
        return keys.load_certs_pem(row.certificate)[0]
    except keys.KeyFileError:
        return None
