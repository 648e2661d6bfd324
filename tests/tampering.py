"""The attacker who holds the plant database owner's (or a superuser's) credentials.

On PostgreSQL, triggers keep the audit trail, signatures and completed inspections as they
were written, for every role, the owner included (migration 0010); but whoever owns the
tables can switch triggers off. The attack tests that play that person do so first, then
tamper, and assert that `audit verify` and the signature checks still find it. On SQLite
there is nothing to switch off: the bench's account owns the file.

When the station under test connects as a station login (the suite's least-privilege run),
this attacker still comes with the owner's credentials, not the station's.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import Engine, make_url


@contextmanager
def as_owner(engine: Engine) -> Iterator[Connection]:
    """A transaction with the database's own guards switched off (PostgreSQL)."""
    if engine.dialect.name != "postgresql":
        with engine.begin() as conn:
            yield conn
        return
    with engine.connect() as probe:
        superuser = probe.scalar(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
    owner = engine
    if not superuser:  # a station login: the owner's URL, on the same schema
        base = make_url(os.environ["QCSTATION_TEST_DATABASE_URL"])
        owner = create_engine(
            engine.url.set(username=base.username, password=base.password),
        )
    try:
        with owner.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            yield conn
    finally:
        if owner is not engine:
            owner.dispose()


def tip(conn: Connection, chain: str) -> tuple[int, str, int]:
    """(last seq, last hash, last entry id) of a station's chain, as its tip row says."""
    row = conn.execute(
        text("SELECT last_seq, last_hash, last_id FROM audit_chains WHERE chain = :c"), {"c": chain}
    ).one()
    return int(row[0]), str(row[1]), int(row[2])


def move_tip(conn: Connection, chain: str, to_id: int) -> None:
    """Point a station chain's tip at its entry ``to_id`` (an attacker who cut it there)."""
    seq, digest = conn.execute(
        text("SELECT seq, hash FROM audit_log WHERE id = :i"), {"i": to_id}
    ).one()
    conn.execute(
        text(
            "UPDATE audit_chains SET last_seq = :s, last_hash = :h, last_id = :i WHERE chain = :c"
        ),
        {"s": seq, "h": digest, "i": to_id, "c": chain},
    )


def append_entry(
    conn: Connection,
    chain: str,
    fields: dict[str, Any],
    sign_as: Any = None,
    entry_id: int | None = None,
) -> tuple[int, str]:
    """Write an entry at the end of ``chain`` behind the application's back, the way the
    application would (store/audit.py's own entry_hash and seal), signed with ``sign_as``
    (the attacker's own key) if given; the tip moves with it. Returns (id, hash)."""
    from qcstation.store import audit as audit_chain

    seq, prev, _last = tip(conn, chain)
    chain_id = conn.execute(text("SELECT chain_id FROM audit_head")).scalar_one()
    if entry_id is None:
        entry_id = int(conn.execute(text("SELECT max(id) FROM audit_log")).scalar_one()) + 1
    full = {**fields, "id": entry_id, "chain": chain, "seq": seq + 1}
    digest = audit_chain.entry_hash(audit_chain.hashed_fields(full), prev)
    key_id = signature = None
    if sign_as is not None:
        raw = sign_as.sign(audit_chain.entry_seal(chain_id, {**full, "hash": digest}))
        key_id, signature = sign_as.key_id, base64.b64encode(raw).decode()
    conn.execute(
        text(
            "INSERT INTO audit_log (id, at, actor, station, entity, entity_id, action, old, "
            "new, reason, prev_hash, hash, key_id, signature, chain, seq) VALUES (:id, :at, "
            ":actor, :station, :entity, :entity_id, :action, :old, :new, :reason, :prev, :hash, "
            ":k, :s, :chain, :seq)"
        ),
        {**full, "prev": prev, "hash": digest, "k": key_id, "s": signature},
    )
    move_tip(conn, chain, entry_id)
    return entry_id, digest


def rehash_from(conn: Connection, first: int, sign_as: Any = None) -> None:
    """Recompute every link from entry ``first`` on, chain by chain, with the project's own
    entry_hash; with ``sign_as``, re-sign every sealed entry with that key (the attacker's
    own); move every touched chain's tip to its new end."""
    from qcstation.store import audit as audit_chain

    chain_id = conn.execute(text("SELECT chain_id FROM audit_head")).scalar_one()
    rows = conn.execute(text("SELECT * FROM audit_log WHERE id >= :i ORDER BY id"), {"i": first})
    prev: dict[Any, str] = {}
    last: dict[Any, int] = {}
    for e in rows.all():
        if e.chain not in prev:
            prev[e.chain] = str(e.prev_hash)
        digest = audit_chain.entry_hash(e, prev[e.chain])
        values: dict[str, Any] = {"h": digest, "p": prev[e.chain], "i": e.id}
        sql = "UPDATE audit_log SET hash = :h, prev_hash = :p"
        if sign_as is not None and e.signature is not None:
            message = audit_chain.entry_seal(chain_id, {**e._asdict(), "hash": digest})
            values.update(k=sign_as.key_id, s=base64.b64encode(sign_as.sign(message)).decode())
            sql += ", key_id = :k, signature = :s"
        conn.execute(text(sql + " WHERE id = :i"), values)
        prev[e.chain], last[e.chain] = digest, e.id
    for chain, entry_id in last.items():
        if chain is not None:
            move_tip(conn, chain, entry_id)


def cut_after(conn: Connection, entry_id: int) -> None:
    """Cut every entry after ``entry_id`` off the trail, and point each station chain's tip
    at what is left of it (a chain left empty loses its tip row)."""
    conn.execute(text("DELETE FROM audit_log WHERE id > :i"), {"i": entry_id})
    for (chain,) in conn.execute(text("SELECT chain FROM audit_chains")).all():
        last = conn.execute(
            text("SELECT max(id) FROM audit_log WHERE chain = :c"), {"c": chain}
        ).scalar_one()
        if last is None:
            conn.execute(text("DELETE FROM audit_chains WHERE chain = :c"), {"c": chain})
        else:
            move_tip(conn, chain, int(last))
