"""Station health: database integrity and the evidence files the database points at."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select, text

from qcstation.services import station_secrets
from qcstation.services.context import Station
from qcstation.store import private, schema
from qcstation.store.evidence import EvidenceError
from qcstation.store.models import EvidenceRow, InspectionRow


@dataclass
class CheckReport:
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check(station: Station) -> CheckReport:
    report = CheckReport()
    state, rev = schema.state(station.db.engine)
    report.lines.append(f"schema: {rev} ({state.value})")
    with station.db.read() as s:
        if station.db.dialect == "sqlite":
            result = [r[0] for r in s.execute(text("PRAGMA integrity_check")).all()]
            report.lines.append(f"integrity check: {', '.join(result[:5])}")
            if result != ["ok"]:
                report.problems.extend(f"integrity: {r}" for r in result[:20])
            for row in s.execute(text("PRAGMA foreign_key_check")).all()[:20]:
                report.problems.append(f"foreign key: table {row[0]} row {row[1]} -> {row[2]}")
        else:
            s.execute(text("SELECT 1"))
            report.lines.append("server: reachable")
        count = s.scalar(select(func.count()).select_from(InspectionRow)) or 0
        report.lines.append(f"inspections: {count}")
        checked = 0
        for sha in s.scalars(select(EvidenceRow.sha256).distinct()):
            checked += 1
            try:
                station.evidence.read(sha)
            except EvidenceError as exc:
                report.problems.append(str(exc))
        report.lines.append(f"evidence files verified: {checked}")
    _check_files(station, report)
    if station.location.is_sqlite and not station.location.settings.secret_store:
        report.lines.append("secrets: none kept (this station's data is its own SQLite file)")
    else:
        secrets = station_secrets.status(station.location)
        report.lines += secrets.lines()
        report.problems += secrets.problems
    leftovers = station.evidence.leftovers()
    if leftovers:
        report.lines.append(
            f"{len(leftovers)} unfinished evidence file(s) from an interrupted capture "
            f"(never referenced; safe to delete), e.g. {leftovers[0]}"
        )
    return report


def _check_files(station: Station, report: CheckReport) -> None:
    """The data directory and what it keeps at its top: this account's only."""
    data_dir = station.location.data_dir
    if not private.POSIX:
        report.lines.append(f"data directory: {data_dir} (in the user's profile)")
        return
    known = [data_dir, *(data_dir / n for n in private.KNOWN_FILES)]
    exposed = [p for p in known if p.exists() and private.exposed(p)]
    for path in exposed:
        report.problems.append(
            f"{path} can be read by other users of this computer: run `chmod go= {path}` "
            "(qcstation narrows it at its next start)"
        )
    if not exposed:
        report.lines.append(f"data directory: {data_dir}, readable by this account only")


def remove_leftovers(station: Station, min_age_s: float = 3600.0) -> int:
    """Delete evidence temp files an interrupted capture left (never referenced by a row)."""
    return len(station.evidence.remove_leftovers(min_age_s))


def probe(url: str) -> str:
    """Try a database URL without changing anything; say what is there."""
    from qcstation.store.database import Database

    db = Database(url)
    try:
        with db.read() as s:
            s.execute(text("SELECT 1"))
        st, rev = schema.state(db.engine)
    finally:
        db.dispose()
    return {
        schema.SchemaState.EMPTY: "reachable, empty: `qcstation init` will set it up",
        schema.SchemaState.CURRENT: f"reachable, a qcstation database at schema {rev}",
        schema.SchemaState.BEHIND: f"reachable, schema {rev}: needs `qcstation db upgrade`",
        schema.SchemaState.AHEAD: f"reachable, but made by a newer qcstation (schema {rev})",
    }[st]
