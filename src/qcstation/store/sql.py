"""SQL constructs the dialects spell differently.

``driving_join``: an inner join whose left side must drive the loop. SQLite's planner,
left without statistics (the app does not run ANALYZE), tends to start a join of the
defects with the much larger inspections table from the inspections, probing a million
rows instead of two hundred thousand; ``CROSS JOIN`` is SQLite's documented way to fix
the order. Other databases get a plain ``JOIN`` (PostgreSQL plans joins well).

``indexed_by``: a table read through a named index on SQLite (``INDEXED BY``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import Alias, FromClause, Join
from sqlalchemy.sql.visitors import InternalTraversal


class _DrivingJoin(Join):
    inherit_cache = True


@compiles(_DrivingJoin, "sqlite")
def _sqlite_cross_join(join: _DrivingJoin, compiler: SQLCompiler, **kw: Any) -> str:
    kw["asfrom"] = True
    left = join.left._compiler_dispatch(compiler, **kw)
    right = join.right._compiler_dispatch(compiler, **kw)
    on = join.onclause._compiler_dispatch(compiler, **kw)  # type: ignore[union-attr]
    return f"{left} CROSS JOIN {right} ON {on}"


@compiles(_DrivingJoin)
def _plain_join(join: _DrivingJoin, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.visit_join(join, **kw))


def driving_join(left: Any, right: Any, onclause: Any) -> FromClause:
    """``left JOIN right ON onclause``, with ``left`` as the outer loop on SQLite."""
    return _DrivingJoin(left, right, onclause)


class _IndexedBy(Alias):
    inherit_cache = True
    _traverse_internals = [*Alias._traverse_internals, ("index", InternalTraversal.dp_string)]  # noqa: RUF012
    index: str


@compiles(_IndexedBy, "sqlite")
def _sqlite_indexed_by(alias: _IndexedBy, compiler: SQLCompiler, **kw: Any) -> str:
    text = str(compiler.visit_alias(alias, **kw))
    return f"{text} INDEXED BY {alias.index}" if kw.get("asfrom") else text


def indexed_by(table: Any, index: str, name: str) -> Alias:
    """``table AS name``, read through ``index`` on SQLite (``INDEXED BY``).

    SQLite, without statistics, prefers a table's primary key to a small partial index on
    the same column: probing the dashboards' ix_inspections_not_counted by id instead of
    the primary key then reads a million-row table's pages at random. Other databases
    choose by their statistics and get a plain alias.
    """
    alias = _IndexedBy._construct(table, name=name)
    alias.index = index
    return alias
