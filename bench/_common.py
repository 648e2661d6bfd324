"""Helpers shared by the benchmark scripts in this folder (not a benchmark itself).

Every script measures our code beside a reference doing the same work in the same run,
prints a readable table, and ends with one JSON line per metric:
``{"bench": NAME, "metric": ..., "value": ..., "reference": ..., "ratio": ..., "unit": ...}``.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "bench" / "out"
PASSWORD = "correct horse battery"  # benchmark-only accounts in throw-away databases

# The application's SQLite connection settings (qcstation.store.database._sqlite_engine).
APP_PRAGMAS = (
    "PRAGMA busy_timeout = 10000",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA foreign_keys = ON",
)


def isolate_environment() -> None:
    """Never let a benchmark pick up a real station's data directory or database URL."""
    for name in ("QCSTATION_DATA_DIR", "QCSTATION_DATABASE_URL", "QCSTATION_PASSWORD"):
        os.environ.pop(name, None)


def bare_connection(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection with the same pragmas as the app, autocommit mode
    (transactions are begun explicitly, as the app does)."""
    conn = sqlite3.connect(path, timeout=10.0, isolation_level=None)
    for pragma in APP_PRAGMAS:
        conn.execute(pragma)
    return conn


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile, q in [0, 100]."""
    if not values:
        return math.nan
    s = sorted(values)
    k = (len(s) - 1) * q / 100.0
    lo, hi = math.floor(k), math.ceil(k)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


@dataclass(frozen=True)
class Stats:
    n: int
    median: float
    p95: float
    minimum: float
    mean: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Stats:
        return cls(
            len(values),
            statistics.median(values),
            percentile(values, 95),
            min(values),
            statistics.fmean(values),
        )


def ratio(value: float, reference: float) -> float:
    return value / reference if reference > 0 else math.inf


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table; floats get 3 decimals, columns are right-aligned except the first."""

    def cell(v: Any) -> str:
        if isinstance(v, float):
            return "inf" if math.isinf(v) else f"{v:.3f}"
        return str(v)

    text = [[cell(v) for v in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in text)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), sep, *(line(r) for r in text)])


def metric(bench: str, name: str, value: float, reference: float, unit: str) -> dict[str, Any]:
    r = ratio(value, reference)
    return {
        "bench": bench,
        "metric": name,
        "value": round(value, 6),
        "reference": round(reference, 6),
        "ratio": round(r, 4) if math.isfinite(r) else None,
        "unit": unit,
    }


def emit(metrics: Sequence[dict[str, Any]]) -> None:
    """The machine-readable tail: one JSON object per line, nothing printed after it."""
    sys.stdout.flush()
    for m in metrics:
        print(json.dumps(m, sort_keys=False))
    sys.stdout.flush()


def machine() -> str:
    return (
        f"python {platform.python_version()}, sqlite {sqlite3.sqlite_version}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cpu(s)"
    )


@contextmanager
def cache_or_temp(cache_dir: Path, no_cache: bool, prefix: str) -> Iterator[Path]:
    """The folder for a seeded database: the cache (kept between runs), or with --no-cache
    a temporary one, removed afterwards."""
    if not no_cache:
        yield cache_dir
        return
    with temp_dir(prefix) as tmp:
        yield tmp


@contextmanager
def temp_dir(prefix: str, parent: Path | None = None, keep: bool = False) -> Iterator[Path]:
    """A scratch folder for one bench run, removed afterwards (unless kept, for a look)."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    try:
        yield tmp
    finally:
        if keep:
            print(f"(kept {tmp})", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
