"""Evidence files (images, PDFs) named by their SHA-256, written so a crash leaves no half file.

A file is written to a temporary name in the same folder, fsynced, renamed into place and
the folder fsynced; only then may a database row point at it. Reading checks the hash, so
a damaged or swapped file is reported rather than shown as evidence.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


class EvidenceError(RuntimeError):
    """A problem with the evidence store that a person can act on."""


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    path: Path


class EvidenceStore:
    def __init__(self, root: Path):
        self.root = root

    def path_for(self, sha256: str) -> Path:
        if not SHA256_RE.match(sha256):
            raise EvidenceError(f"{sha256!r} is not a SHA-256 digest")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> StoredFile:
        digest = hashlib.sha256(data).hexdigest()
        target = self.path_for(digest)
        if target.exists() and target.stat().st_size == len(data):
            return StoredFile(digest, len(data), target)  # same bytes, same name: already durable
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".incoming-", dir=target.parent)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            _fsync_dir(target.parent)
        except OSError as exc:
            raise EvidenceError(
                f"could not store evidence in {self.root}: {exc.strerror or exc}; "
                "free disk space or check the folder's permissions, then capture again"
            ) from exc
        return StoredFile(digest, len(data), target)

    def read(self, sha256: str) -> bytes:
        path = self.path_for(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise EvidenceError(f"evidence file {sha256} is missing from {self.root}") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise EvidenceError(
                f"evidence file {path} is damaged or was replaced (its hash does not match)"
            )
        return data

    def leftovers(self) -> list[Path]:
        """Temporary files a crash left behind; never evidence, safe to delete."""
        return sorted(self.root.glob("*/.incoming-*")) if self.root.exists() else []

    def remove_leftovers(self, min_age_s: float = 3600.0) -> list[Path]:
        """Delete temporary files older than min_age_s; younger ones may be a capture in
        progress on another station sharing this folder."""
        import time

        removed = []
        for path in self.leftovers():
            try:
                if time.time() - path.stat().st_mtime >= min_age_s:
                    path.unlink()
                    removed.append(path)
            except FileNotFoundError:
                pass  # its writer finished (renamed it) or another cleaner got there first
        return removed


def _fsync_dir(path: Path) -> None:
    if os.name == "nt":  # Windows cannot open a directory; NTFS journals the rename itself
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
