"""Canonical JSON and SHA-256: the one way a record is turned into bytes for hashing.

The audit chain and (later) signatures hash records through here, so two machines,
two databases and two Python versions agree on the same digest for the same record.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import Enum
from typing import Any


def normalize(value: Any) -> Any:
    """Turn a value into plain JSON types with one spelling for each value."""
    # The plain types first, by exact type (most of every record): the same results as the
    # general rules below, which take everything else (subclasses included).
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is dict:
        return {k if type(k) is str else str(k): normalize(v) for k, v in value.items()}
    if kind is list:
        return [normalize(v) for v in value]
    return _normalize(value)


def _normalize(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("non-finite numbers cannot be hashed")
        return int(value) if value.is_integer() else value
    if isinstance(value, Decimal):
        return normalize(float(value))
    if isinstance(value, Enum):
        return normalize(value.value)
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return aware.astimezone(timezone.utc).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): normalize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalize(v) for v in value]
    raise TypeError(f"cannot put a {type(value).__name__} into a canonical record")


def canonical_json(value: Any) -> str:
    return json.dumps(normalize(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def record_hash(value: Any) -> str:
    return sha256_hex(canonical_json(value))
