"""What one answer's save sends to the plant's PostgreSQL, statement by statement.

The server's CPU per save follows its round trips more than its work (docs/multi-station.md,
"Throughput and latency"): that page lists them, and this test keeps the list true. A
change that adds a statement to every save fails here and says which statements a save
sends; count it in, or find another way.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from qcstation.domain.inspections import Answer, Outcome
from qcstation.domain.stages import Stage
from qcstation.domain.users import User
from qcstation.services import inspections
from qcstation.services.context import Station

pytestmark = pytest.mark.postgres

# Between BEGIN and COMMIT (docs/multi-station.md, steps 3-10): the inspection, locked,
# with the actor's row and the checklist version's hash; its hold with the holding
# station; the photo counts; the answers; the answer's INSERT; the chain tip, locked, with
# the signer's key and the entry ids; the entry's INSERT with the tip's UPDATE; the defects.
STATEMENTS = 8


@pytest.fixture
def database_url(pg_schema_url: str) -> str:
    return pg_schema_url


def test_a_save_sends_the_statements_the_docs_list(station: Station, inspector: User) -> None:
    ins = inspections.start(station, inspector, Stage.FINAL_QC, "JT-RT", "RG-SOL-0412", "S1")
    stamp = Answer("fineness-stamp", outcome=Outcome.PASS)
    inspections.record_answer(station, inspector, ins.id, stamp)  # a station already at work
    sent: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(station.db.engine, "before_cursor_execute", note)
    try:
        saved = inspections.record_answer(station, inspector, ins.id, stamp)
    finally:
        event.remove(station.db.engine, "before_cursor_execute", note)
    assert saved.evaluation.outcome is Outcome.PASS
    listed = "\n".join(s[:90] for s in sent)
    assert len(sent) <= STATEMENTS, f"a save sends {len(sent)} statements:\n{listed}"
    assert any("FOR UPDATE" in s and "FROM inspections" in s for s in sent), listed
    assert any("INSERT INTO audit_log" in s for s in sent), listed


def test_a_save_compiles_no_statement_anew(station: Station, inspector: User) -> None:
    """Every statement of a save comes from SQLAlchemy's cache of compiled statements once
    the station has saved the same way before: compiling the audit entry's INSERT at every
    save cost a fifth of a station's CPU per save (an INSERT of several VALUES rows is never
    cached). Both ways of a save are measured: a first answer, and a changed one."""
    stamp = Answer("fineness-stamp", outcome=Outcome.PASS)
    first, second = (
        inspections.start(station, inspector, Stage.FINAL_QC, "JT-RT", "RG-SOL-0412", serial)
        for serial in ("S2", "S3")
    )
    for _ in range(2):  # an INSERT of the answer, then an UPDATE of it
        inspections.record_answer(station, inspector, first.id, stamp)
    compiled: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, params: Any, context: Any, *_: Any) -> None:
        if context.compiled is not None and context.cache_hit is not context.dialect.CACHE_HIT:
            compiled.append(" ".join(statement.split())[:90])

    event.listen(station.db.engine, "before_cursor_execute", note)
    try:
        for _ in range(2):
            inspections.record_answer(station, inspector, second.id, stamp)
    finally:
        event.remove(station.db.engine, "before_cursor_execute", note)
    assert compiled == []
