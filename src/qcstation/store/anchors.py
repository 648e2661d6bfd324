"""What this station has seen of each audit chain, kept outside the database it protects.

A chain anchored only inside its own database proves nothing against someone who can
rewrite that database: they can cut entries off the end, or put an older copy back, and
what is left is a consistent, signed chain. So each station keeps, in its data directory,
the newest signed head it has seen of every chain it wrote to (``audit-anchors.json``, mode
0600), and the plant root it pinned when it joined. `audit verify` checks the database
against them: a chain that ends before, or differs at, the anchored entry was truncated,
rewritten or rolled back. A restore made through `qcstation restore` is recorded here,
so a rollback an administrator chose is told apart from one nobody announced.

The file is advanced after each commit (no fsync: after a power cut it may lag a few
transactions, which only narrows what it can prove, never raises a false alarm).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FILE = "audit-anchors.json"
FORMAT = "qcstation-anchors/1"


@dataclass(frozen=True)
class Head:
    """A signed audit entry: its position, hash, and the signature that seals it."""

    id: int
    hash: str
    key_id: str
    signature: str
    seen_at: str = ""
    seq: int = 0  # its place in its station's chain (0: the plant chain of format 1)
    chain: str = ""  # the station whose chain it is ("" : the plant chain of format 1)


@dataclass(frozen=True)
class Restore:
    """A rollback chosen by an administrator (qcstation restore over existing data)."""

    at: str
    by: str
    backup: str
    before: dict[str, Any]  # the head replaced: {"id", "hash"} (empty if none)
    after: dict[str, Any]  # the head restored
    safety_copy: str = ""


@dataclass
class Chain:
    head: Head | None = None  # the newest entry this station sealed or verified
    root_sha256: str | None = None  # the plant root certificate pinned at init or join
    restores: list[Restore] = field(default_factory=list)
    # The newest sealed head of each station's chain this station has seen: its own after
    # each commit, every station's after each clean `audit verify`.
    stations: dict[str, Head] = field(default_factory=dict)


@dataclass
class Anchors:
    path: Path
    chains: dict[str, Chain] = field(default_factory=dict)
    problem: str | None = None  # the file exists but cannot be read

    def chain(self, chain_id: str) -> Chain:
        return self.chains.setdefault(chain_id, Chain())


def load(path: Path) -> Anchors:
    """The anchors in ``path``; a missing file is empty, a damaged one says so."""
    out = Anchors(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return out
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        out.problem = f"the anchor file {path} cannot be read ({exc})"
        return out
    try:
        if raw.get("format") != FORMAT:
            raise ValueError(f"unknown format {raw.get('format')!r}")
        for chain_id, c in raw["chains"].items():
            out.chains[str(chain_id)] = Chain(
                Head(**c["head"]) if c.get("head") else None,
                c.get("root_sha256"),
                [Restore(**r) for r in c.get("restores", [])],
                {str(k): Head(**h) for k, h in (c.get("stations") or {}).items()},
            )
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        out.problem = f"the anchor file {path} is damaged ({exc})"
        out.chains.clear()
    return out


def save(anchors: Anchors) -> None:
    # vars, not dataclasses.asdict: the fields are plain values (and, in a Restore, dicts
    # that json copies anyway), and asdict's deep copy was a quarter of a save's cost here,
    # which every commit pays (1.1 ms with fifty stations' heads in the file).
    data = {
        "format": FORMAT,
        "chains": {
            cid: {
                "head": vars(c.head) if c.head else None,
                "root_sha256": c.root_sha256,
                "restores": [vars(r) for r in c.restores],
                "stations": {k: vars(h) for k, h in sorted(c.stations.items())},
            }
            for cid, c in sorted(anchors.chains.items())
        },
    }
    path = anchors.path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".anchors-", dir=path.parent)
    try:
        # mkstemp made the file 0600: readable by this account only.
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def advance(path: Path, chain_id: str, head: Head, *more: Head) -> None:
    """Remember each head that is newer than what this station saw: of the trail, and of
    the station chain it belongs to."""
    anchors = load(path)
    if anchors.problem:
        return  # never overwrite a damaged file: verify must still see the damage
    chain = anchors.chain(chain_id)
    changed = False
    for h in (head, *more):
        if chain.head is None or chain.head.id < h.id:
            chain.head, changed = h, True
        seen = chain.stations.get(h.chain)
        if h.chain and (seen is None or seen.seq < h.seq):
            chain.stations[h.chain], changed = h, True
    if changed:
        save(anchors)


def pin_root(path: Path, chain_id: str, root_sha256: str) -> None:
    anchors = load(path)
    if anchors.problem:
        return
    anchors.chain(chain_id).root_sha256 = root_sha256
    save(anchors)


def record_restore(path: Path, chain_id: str, restore: Restore, head: Head | None) -> None:
    """Note an administrator's restore and move the anchor to the restored head."""
    anchors = load(path)
    chain = anchors.chain(chain_id)
    chain.restores.append(restore)
    chain.head = head
    chain.stations = {head.chain: head} if head is not None and head.chain else {}
    anchors.problem = None
    save(anchors)
