"""'Contains, whatever the case' as one SQL operator on both databases.

People search for part of a code as they read it off a tag ("5529", "sn55", "rg-sol"):
the match must ignore case and find the text anywhere in the value. SQLite's LIKE already
ignores the case of ASCII letters, and wrapping the column in lower() would only make
every row cost more; PostgreSQL says the same with ILIKE. Both get the typed text with
its own % and _ escaped, so "10%" finds "10%", not everything starting with "10".
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.expression import ColumnElement as _Element
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import Boolean

ESCAPE = "\\"
Column = ColumnElement[Any] | QueryableAttribute[Any]


def like_pattern(text: str) -> str:
    """'%<text>%' with the text's own wildcards taken literally."""
    safe = text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")
    return f"%{safe}%"


class ContainsNoCase(_Element[bool]):
    """column contains text, ignoring case (ASCII on SQLite)."""

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a comparison already: no "= 1" after it on SQLite
    # the statement cache keys on both parts; the text itself goes as a bound parameter
    _traverse_internals = [  # noqa: RUF012  (SQLAlchemy's own attribute, a list there)
        ("column", InternalTraversal.dp_clauseelement),
        ("pattern", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: Column, text: str):
        self.column = column if isinstance(column, ColumnElement) else column.__clause_element__()
        self.pattern = literal(like_pattern(text))


@compiles(ContainsNoCase)
def _generic(element: ContainsNoCase, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    pattern = compiler.process(element.pattern, **kw)
    return f"{column} LIKE {pattern} ESCAPE '{ESCAPE}'"


@compiles(ContainsNoCase, "postgresql")
def _postgresql(element: ContainsNoCase, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    pattern = compiler.process(element.pattern, **kw)
    return f"{column} ILIKE {pattern} ESCAPE '{ESCAPE}'"


def contains(column: Column, text: str) -> ColumnElement[bool]:
    return ContainsNoCase(column, text)
