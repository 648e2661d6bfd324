"""The plant database's roles: each station connects with exactly the rights it needs.

One NOLOGIN group role (``qcstation_station`` unless told otherwise) holds the privileges a
station needs; each station logs in with a LOGIN role of its own (``qcstation_s_<name>``)
that is a member of the group. One login per station, because:

- a stolen or retired bench is shut out by dropping its role, and no other bench changes
  its password;
- the server's logs and ``pg_stat_activity`` name the bench behind every connection;
- its password lives on that bench only (in its secret store, store/secret_store.py);
- a synced record must arrive over its own station's login (services/sync_checks.py).

What the group may do is ``GRANTS``, table by table: SELECT everywhere; INSERT where
stations insert; UPDATE only on the columns the services change (found by reading every
assignment to a row in services/ and accounts/). The one row a service deletes is a plant
key's wrap taken back from a holder, so DELETE is granted there only, TRUNCATE nowhere.
The audit trail, signatures, documents, corrections and receipts get no UPDATE; a
completed inspection is guarded further by triggers (migration 0010). ``audit_chains``
stays updatable: each row is a station chain's tip, moved by every write of that station;
a tip moved back is what `audit verify` and each station's anchor find. ``audit_head``,
the tip of the plant chain written before migration 0012, is closed and only read.

The grants are run by the plant database's owner (`qcstation db roles`), who also runs the
migrations; a station's login can do neither. A table this list does not know gets
SELECT only, and the command names it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from qcstation.services.errors import ServiceError
from qcstation.store.database import Database

DEFAULT_GROUP = "qcstation_station"
LOGIN_PREFIX = "qcstation_s_"


@dataclass(frozen=True)
class Grant:
    insert: bool = False
    update: tuple[str, ...] = ()
    delete: bool = False  # only where a row is taken back (a plant key's wrap)


READ = Grant()
ADD = Grant(insert=True)

GRANTS: dict[str, Grant] = {
    "alembic_version": READ,
    "stations": ADD,
    "users": Grant(True, ("password_hash", "active", "failed_logins")),
    "login_stats": Grant(True, ("unknown_failures",)),
    "templates": Grant(True, ("active",)),
    "defect_codes": Grant(
        True, ("name", "severity", "stages", "description", "catalog_version", "active")
    ),
    "skus": Grant(True, ("material", "description", "updated_at")),
    # In progress: answers change, then the completion; the triggers refuse the rest.
    "inspections": Grant(True, ("status", "verdict", "completed_at")),
    "answers": Grant(
        True,
        (
            "outcome",
            "readings",
            "mean",
            "value",
            "note",
            "answered_at",
            "answered_by_id",
            "instrument",
        ),
    ),
    "evidence": ADD,
    "defects": ADD,
    # The plant's document key and seal wrapped to each reviewer (services/_plant_keys.py):
    # a wrap is taken back when its holder's key is retired, revoked or no longer a
    # reviewer's. Deleting one only stops that person issuing; the trail names it.
    "plant_key_wraps": Grant(insert=True, delete=True),
    "plant_key_exposures": ADD,
    "document_reissues": ADD,
    # A specification's revisions are added, never changed (services/specs.py).
    "sku_specs": ADD,
    # Who holds an unfinished inspection: handed over, parked, abandoned (services/holds.py).
    "inspection_holds": Grant(
        True,
        (
            "state",
            "station_id",
            "user_id",
            "since",
            "reason",
            "taken_from_station_id",
            "taken_from_user_id",
        ),
    ),
    "annotation_layers": Grant(True, ("layer", "updated_at", "updated_by_id")),
    "calibrations": ADD,
    "golden_samples": ADD,
    "reviews": ADD,
    "dispositions": ADD,
    "reworks": ADD,
    "corrective_actions": Grant(
        True,
        (
            "title",
            "problem",
            "status",
            "containment",
            "root_cause_category",
            "root_cause",
            "corrective",
            "preventive",
            "owner_id",
            "due",
            "effectiveness_evidence",
            "closed_at",
        ),
    ),
    "capa_details": Grant(
        True,
        (
            "why_chain",
            "preventive_owner_id",
            "preventive_due",
            "evidence_files",
            "verified_by_id",
            "verified_at",
        ),
    ),
    "lots": Grant(True, ("counts", "verdict", "status", "decided_at", "decided_by_id")),
    "switching_states": Grant(
        True,
        (
            "mode",
            "consecutive_accepted",
            "recent_results",
            "switching_score",
            "rejected_while_tightened",
            "discontinued",
            "lots",
            "updated_at",
        ),
    ),
    # Keys are issued, resealed under a new password, retired and revoked; never removed.
    "signing_keys": Grant(
        True,
        (
            "subject",
            "certificate",
            "chain",
            "encrypted_key",
            "sealed_plant_key",
            "not_after",
            "issued_at",
            "retired_at",
            "revoked_at",
            "revoked_by_id",
            "revocation_reason",
        ),
    ),
    # Append-only: written once, never changed (and triggers say so too).
    "audit_log": ADD,
    "signatures": ADD,
    "documents": ADD,
    "corrections": ADD,
    "sync_receipts": ADD,
    # The plant chain of format 1 is closed (migration 0012): its row is only read.
    "audit_head": READ,
    # Each station's chain tip (migration 0012): made at its first entry, moved at each.
    "audit_chains": Grant(True, ("last_seq", "last_hash", "last_id")),
    # The outbox lives on each bench's own copy; the server's table stays empty.
    "sync_outbox": READ,
}


class RoleError(ServiceError):
    """The roles could not be set up; the message says what to do."""


@dataclass
class RolesResult:
    schema: str
    group: str
    tables: int
    unknown: list[str] = field(default_factory=list)  # tables given SELECT only
    logins: dict[str, str] = field(default_factory=dict)  # station name -> login role


def login_role(station_name: str) -> str:
    """The LOGIN role of a station: readable, unique per name, within PostgreSQL's 63."""
    slug = re.sub(r"[^a-z0-9]+", "_", station_name.lower()).strip("_")[:32] or "station"
    tag = hashlib.sha256(station_name.encode("utf-8")).hexdigest()[:8]
    return f"{LOGIN_PREFIX}{slug}_{tag}"


def _ident(conn: Connection, name: str) -> str:
    return str(conn.dialect.identifier_preparer.quote_identifier(name))


def _literal(text_: str) -> str:
    return "'" + text_.replace("'", "''") + "'"


def _owner_connection(db: Database) -> Connection:
    if db.dialect != "postgresql":
        raise RoleError(
            "database roles are a PostgreSQL matter: a station's own SQLite file has none"
        )
    return db.engine.connect()


def _role_exists(conn: Connection, name: str) -> bool:
    return bool(conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}))


def grant(db: Database, group: str = DEFAULT_GROUP) -> RolesResult:
    """Create the group role if need be and give it exactly ``GRANTS`` on this schema."""
    with _owner_connection(db) as conn, conn.begin():
        schema = str(conn.scalar(text("SELECT current_schema()")))
        owned = conn.scalar(
            text(
                "SELECT bool_and(pg_has_role(current_user, tableowner, 'USAGE')) "
                "FROM pg_tables WHERE schemaname = :s"
            ),
            {"s": schema},
        )
        if owned is None:
            raise RoleError(f"schema {schema!r} holds no qcstation tables: run `qcstation init`")
        if not owned:
            raise RoleError(
                "only the owner of the plant database's tables can grant on them: run "
                "`qcstation db roles` with the owner's URL (--database-url)"
            )
        g, s = _ident(conn, group), _ident(conn, schema)
        if not _role_exists(conn, group):
            conn.exec_driver_sql(f"CREATE ROLE {g} NOLOGIN")
        tables = list(
            conn.scalars(
                text("SELECT tablename FROM pg_tables WHERE schemaname = :s ORDER BY 1"),
                {"s": schema},
            )
        )
        # From nothing: whatever was granted before (or to everyone) is taken back first.
        for who in (g, "PUBLIC"):
            conn.exec_driver_sql(f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {who}")
            conn.exec_driver_sql(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {who}")
        conn.exec_driver_sql(f"REVOKE CREATE ON SCHEMA {s} FROM PUBLIC")
        conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {s} TO {g}")
        unknown = []
        for table in tables:
            rule = GRANTS.get(table)
            if rule is None:
                unknown.append(table)
                rule = READ
            t = f"{s}.{_ident(conn, table)}"
            asked = (("SELECT", True), ("INSERT", rule.insert), ("DELETE", rule.delete))
            verbs = ", ".join(v for v, given in asked if given)
            conn.exec_driver_sql(f"GRANT {verbs} ON {t} TO {g}")
            if rule.update:
                cols = ", ".join(_ident(conn, c) for c in rule.update)
                conn.exec_driver_sql(f"GRANT UPDATE ({cols}) ON {t} TO {g}")
        # nextval for the row ids; setval would need UPDATE, which is not given.
        conn.exec_driver_sql(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {g}")
    return RolesResult(schema, group, len(tables), unknown)


def create_login(
    db: Database, station_name: str, group: str = DEFAULT_GROUP
) -> tuple[str, str, str]:
    """A LOGIN role for one station in ``group``, with a new random password (an existing
    one gets a new password: the old one stops working). Returns (role, password, the
    station's URL without the password)."""
    role = login_role(station_name)
    password = secrets.token_urlsafe(32)
    with _owner_connection(db) as conn, conn.begin():
        if not _role_exists(conn, group):
            raise RoleError(f"there is no role {group!r} yet: run `qcstation db roles` first")
        r = _ident(conn, role)
        verb = "ALTER" if _role_exists(conn, role) else "CREATE"
        conn.exec_driver_sql(
            f"{verb} ROLE {r} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
            f"INHERIT PASSWORD {_literal(password)}"
        )
        conn.exec_driver_sql(f"GRANT {_ident(conn, group)} TO {r}")
    url = make_url(db.url).set(username=role)
    url = url._replace(password=None)  # set(password=None) would keep the owner's
    return role, password, url.render_as_string(hide_password=False)


def drop_login(db: Database, station_name: str) -> bool:
    """Shut a station out: its login role goes (what it wrote stays, signed)."""
    role = login_role(station_name)
    with _owner_connection(db) as conn, conn.begin():
        if not _role_exists(conn, role):
            return False
        r = _ident(conn, role)
        conn.exec_driver_sql(f"DROP OWNED BY {r}")
        conn.exec_driver_sql(f"DROP ROLE {r}")
    return True


def current_login(db_conn: Connection) -> str | None:
    """The station whose login this connection uses: its role name, or None for another
    role (the owner, a DBA) or a database without roles."""
    if db_conn.dialect.name != "postgresql":
        return None
    role = str(db_conn.scalar(text("SELECT current_user")))
    return role if role.startswith(LOGIN_PREFIX) else None
