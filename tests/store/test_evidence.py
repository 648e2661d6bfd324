"""Evidence files: named by hash, durable before use, checked on read, never half-written."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import pytest

from qcstation.store import evidence
from qcstation.store.evidence import EvidenceError, EvidenceStore


def test_put_names_the_file_by_its_hash(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "ev")
    data = b"\x89PNG fake image bytes" * 100
    stored = store.put(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.path == tmp_path / "ev" / stored.sha256[:2] / stored.sha256
    assert store.read(stored.sha256) == data
    assert store.put(data) == stored  # idempotent
    assert store.leftovers() == []


def test_every_write_is_fsynced_before_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(evidence.os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(
        evidence.os, "replace", lambda a, b: (calls.append("rename"), real_replace(a, b))[1]
    )
    EvidenceStore(tmp_path).put(b"data")
    assert calls == ["fsync", "rename", "fsync"]  # file, rename, then the folder


def test_a_full_disk_gives_a_clear_error_and_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = EvidenceStore(tmp_path / "ev")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(evidence.os, "fsync", full)
    with pytest.raises(EvidenceError, match=r"No space left on device.*free disk space"):
        store.put(b"x" * 1000)
    assert [p for p in (tmp_path / "ev").rglob("*") if p.is_file()] == []
    monkeypatch.undo()
    assert store.read(store.put(b"x" * 1000).sha256) == b"x" * 1000  # a retry works


def test_a_damaged_or_missing_file_is_reported(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    stored = store.put(b"original")
    stored.path.write_bytes(b"tampered")
    with pytest.raises(EvidenceError, match="damaged or was replaced"):
        store.read(stored.sha256)
    stored.path.unlink()
    with pytest.raises(EvidenceError, match="missing"):
        store.read(stored.sha256)
    with pytest.raises(EvidenceError, match="not a SHA-256"):
        store.read("../../etc/passwd")


def test_leftovers_of_an_interrupted_write_are_listed(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    (tmp_path / "ab").mkdir()
    (tmp_path / "ab" / ".incoming-123").write_bytes(b"half")
    assert store.leftovers() == [tmp_path / "ab" / ".incoming-123"]
