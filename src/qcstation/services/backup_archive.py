"""The backup file: what it holds, the signature that proves who made it, and the checks
every backup passes before anything of it is used.

A backup is one tar file:

    manifest.json            who made it (user name, key id, certificate), the plant root
                             that certificate chains to, the audit chain and its head at the
                             backup, the schema revision, and the SHA-256 and size of every
                             member
    manifest.sig             the maker's signature over manifest.json, with their own key
    database/qcstation.db    SQLite: the database file (SQLite's online backup API)
    database/tables/T.csv    PostgreSQL: the rows of table T as CSV (COPY); never SQL
    evidence/ab/abcd…        every evidence file, named by its SHA-256
    settings.yaml            the station's settings, when it has a file

Checked in this order, reading only: the member names (nothing outside these folders, no
links); the signature over the manifest, by the certificate it carries; that certificate
against the plant root the station pinned (or one given for a new machine); every member
against the manifest. An edited member with a recomputed manifest breaks the signature;
a manifest re-signed with another key names another signer, whose standing is checked in
the backed-up database itself (services/backup_verify.py).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import tarfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from cryptography import x509

from qcstation import config
from qcstation.accounts import keys
from qcstation.domain.users import ROOT_ACTOR, Credential
from qcstation.services.audit import fingerprint
from qcstation.services.errors import InvalidInput
from qcstation.store import anchors

FORMAT = "qcstation-backup"
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
SQLITE_MEMBER = "database/qcstation.db"
TABLES = "database/tables/"
SETTINGS_MEMBER = "settings.yaml"
# What the signature covers: these bytes, then manifest.json exactly as stored.
SIGNED_CONTEXT = b"qcstation-backup-manifest/2\n"
# The only names a member may have: anything else is refused, never extracted.
MEMBER_RE = re.compile(
    r"^(database/qcstation\.db|database/tables/[a-z_][a-z0-9_]{0,62}\.csv|settings\.yaml"
    r"|evidence/([0-9a-f]{2})/(\2[0-9a-f]{62}))$"
)
CHUNK = 1 << 20
FINGERPRINT_RE = re.compile(r"^[0-9a-f]{64}$")


class BackupError(InvalidInput):
    """A backup that cannot be made or restored; the message says which file and why."""


@dataclass(frozen=True)
class Signer:
    """Who signs a manifest: an administrator signed in (or the plant root), their open
    key, the certificate the plant root issued for it, and that root."""

    name: str
    credential: Credential
    certificate: x509.Certificate
    root: x509.Certificate


def signed_manifest(fields: dict[str, Any], signer: Signer) -> tuple[bytes, bytes]:
    """The manifest's bytes with the signer and plant filled in, and its signature."""
    manifest = {
        **fields,
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "signer": {
            "name": signer.name,
            "key_id": signer.credential.key_id,
            "certificate": keys.cert_pem(signer.certificate),
        },
        "plant_root": {
            "sha256": fingerprint(signer.root),
            "certificate": keys.cert_pem(signer.root),
        },
    }
    data = json.dumps(manifest, indent=2, sort_keys=True).encode()
    signature = signer.credential.sign(SIGNED_CONTEXT + data)
    return data, base64.b64encode(signature)


@dataclass
class Archive:
    """A backup whose member names, signature and member hashes were checked; whether its
    signer is trusted is ``trust``'s question."""

    path: Path
    manifest: dict[str, Any]
    members: dict[str, tarfile.TarInfo]
    manifest_sha256: str
    certificate: x509.Certificate  # the signer's, as the manifest carries it
    root: x509.Certificate  # the plant root the manifest names
    trusted_as: str = ""  # how the root was trusted, once trust() passed

    @property
    def kind(self) -> str:
        return "sqlite" if SQLITE_MEMBER in self.members else "postgresql"

    @property
    def signer(self) -> str:
        return str(self.manifest["signer"]["name"])

    @property
    def key_id(self) -> str:
        return str(self.manifest["signer"]["key_id"])

    @property
    def root_sha256(self) -> str:
        return fingerprint(self.root)

    @property
    def schema(self) -> str:
        return str(self.manifest["schema"])

    @property
    def chain_id(self) -> str:
        return str(self.manifest["audit"]["chain_id"])

    @property
    def head(self) -> tuple[int, str]:
        h = self.manifest["audit"]["head"]
        return int(h["id"]), str(h["hash"])

    @property
    def created_at(self) -> str:
        return str(self.manifest.get("created_at", ""))

    @property
    def evidence_in_place(self) -> list[str]:
        """Evidence a safety copy names but does not hold (it stayed in the folder)."""
        return [str(n) for n in self.manifest.get("evidence_in_place", [])]

    def tables(self) -> dict[str, dict[str, Any]]:
        return dict(self.manifest.get("tables", {}))


def open_tar(path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(path.expanduser(), "r:")
    except FileNotFoundError:
        raise BackupError(f"there is no backup file {path}") from None
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{path} is not a qcstation backup (not a tar file: {exc})") from None


def read_member(tar: tarfile.TarFile, info: tarfile.TarInfo) -> bytes:
    fh = tar.extractfile(info)
    assert fh is not None
    return fh.read()


def member_stream(tar: tarfile.TarFile, info: tarfile.TarInfo) -> IO[bytes]:
    fh = tar.extractfile(info)
    assert fh is not None
    return fh


NOTHING = "nothing was restored"


def check(path: Path, tar: tarfile.TarFile) -> Archive:
    """Names, signature (by the certificate the manifest carries), then every member."""
    members: dict[str, tarfile.TarInfo] = {}
    special: dict[str, tarfile.TarInfo] = {}
    try:
        for info in tar:
            if info.name in (MANIFEST, SIGNATURE) and info.isfile() and info.name not in special:
                special[info.name] = info
                continue
            if info.name == "database/qcstation.sql":
                raise BackupError(
                    f"{path} holds a PostgreSQL dump as SQL statements (a backup made before "
                    "backups were signed and held data only): restoring it would run whatever "
                    f"text it holds on the server, so it is refused; {NOTHING}"
                )
            if not info.isfile() or not MEMBER_RE.match(info.name):
                raise BackupError(
                    f"{path} holds a member {info.name!r} that is not part of a qcstation "
                    "backup (a link, a folder, or a name outside the backup's own folders); "
                    f"refused, {NOTHING}"
                )
            if info.name in members:
                raise BackupError(f"{path} holds {info.name!r} twice; {NOTHING}")
            members[info.name] = info
        if MANIFEST not in special:
            raise BackupError(f"{path} has no {MANIFEST}: not a qcstation backup")
        raw = read_member(tar, special[MANIFEST])
        sig = read_member(tar, special[SIGNATURE]) if SIGNATURE in special else None
    except tarfile.TarError as exc:
        raise BackupError(f"{path} is damaged or cut short ({exc}); {NOTHING}") from None
    manifest = _parse(path, raw)
    if sig is None or int(manifest.get("format_version", 0)) < FORMAT_VERSION:
        raise BackupError(
            f"{path} is not signed (made before backups were signed, or its signature was "
            "taken out): nothing proves who made it or that it is what was backed up, so it "
            f"is refused; {NOTHING}. Make a new backup with `qcstation backup`"
        )
    certificate, root = _verify_signature(path, manifest, raw, sig)
    _check_members(path, tar, manifest["files"], members)
    return Archive(path, manifest, members, hashlib.sha256(raw).hexdigest(), certificate, root)


def _parse(path: Path, raw: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(raw)
        assert isinstance(manifest, dict) and manifest["format"] == FORMAT
        assert isinstance(manifest["files"], dict)
    except (ValueError, KeyError, TypeError, AssertionError):
        raise BackupError(f"{path}: its {MANIFEST} is damaged; {NOTHING}") from None
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise BackupError(f"{path} was made by a newer qcstation: install it to restore")
    return manifest


def _verify_signature(
    path: Path, manifest: dict[str, Any], raw: bytes, sig: bytes
) -> tuple[x509.Certificate, x509.Certificate]:
    try:
        signer = manifest["signer"]
        cert = keys.load_certs_pem(signer["certificate"])[0]
        root = keys.load_certs_pem(manifest["plant_root"]["certificate"])[0]
        key_id = str(signer["key_id"])
        if any(n not in manifest for n in ("schema", "audit", "database", "created_at")):
            raise KeyError("a signed manifest names them all")
        signature = base64.b64decode(sig, validate=True)
        public = keys.certificate_public_key(cert)
    except (KeyError, IndexError, TypeError, ValueError):  # KeyFileError is a ValueError
        raise BackupError(f"{path}: its signed manifest is incomplete; {NOTHING}") from None
    if keys.key_id(public) != key_id:
        raise BackupError(f"{path}: the manifest's certificate is not for the key it names")
    if not keys.verify(public, signature, SIGNED_CONTEXT + raw):
        raise BackupError(
            f"{path}: the signature does not match the manifest: the backup was altered "
            f"after {signer.get('name', '?')} signed it (or the manifest was rewritten); "
            f"{NOTHING}"
        )
    return cert, root


def _check_members(
    path: Path, tar: tarfile.TarFile, files: dict[str, Any], members: dict[str, tarfile.TarInfo]
) -> None:
    missing = sorted(set(files) - set(members))
    extra = sorted(set(members) - set(files))
    if missing or extra:
        raise BackupError(
            f"{path} does not match its manifest: "
            + (f"missing {', '.join(missing[:5])}" if missing else "")
            + ("; " if missing and extra else "")
            + (f"unlisted {', '.join(extra[:5])}" if extra else "")
            + f"; {NOTHING}"
        )
    for name, info in members.items():
        digest, size = hashlib.sha256(), 0
        fh = member_stream(tar, info)
        for chunk in iter(lambda fh=fh: fh.read(CHUNK), b""):  # type: ignore[misc]
            digest.update(chunk)
            size += len(chunk)
        expected = files[name]
        if digest.hexdigest() != expected.get("sha256") or size != expected.get("size"):
            raise BackupError(
                f"{path}: {name} does not match the manifest (its SHA-256 differs): the "
                f"backup is damaged or was altered; {NOTHING}"
            )
        if name.startswith("evidence/") and digest.hexdigest() != name.rsplit("/", 1)[1]:
            raise BackupError(f"{path}: evidence file {name} is not what its name says")


# --- which plant root a station trusts -------------------------------------------------------


@dataclass(frozen=True)
class Trusted:
    """Plant roots a restore accepts: the ones this station pinned, else the ones given."""

    fingerprints: frozenset[str]
    source: str  # "pinned" | "given"
    given: frozenset[str] = field(default=frozenset())


def given_roots(fingerprints: list[str], pem_files: list[Path]) -> frozenset[str]:
    """Roots named on the command line: fingerprints (hex, colons allowed) or PEM files."""
    out = set()
    for text in fingerprints:
        fp = text.replace(":", "").strip().lower()
        if not FINGERPRINT_RE.match(fp):
            raise InvalidInput(
                f"{text!r} is not a root fingerprint: give the 64 hex digits `qcstation keys "
                "public` prints on a station of the plant"
            )
        out.add(fp)
    for path in pem_files:
        try:
            certs = keys.load_certs_pem(path.expanduser().read_bytes())
        except OSError as exc:
            raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
        except keys.KeyFileError as exc:
            raise InvalidInput(f"{path}: {exc}") from None
        roots = [c for c in certs if c.issuer == c.subject and keys.issued_by(c, c)]
        if not roots:
            raise InvalidInput(f"{path} holds no root certificate (a self-signed one)")
        out.update(fingerprint(c) for c in roots)
    return frozenset(out)


def trusted_roots(location: config.Location | None, given: frozenset[str]) -> Trusted | None:
    """The station's pinned roots (anchor file); else the given ones; None: neither."""
    pinned: frozenset[str] = frozenset()
    if location is not None:
        saved = anchors.load(location.data_dir / anchors.FILE)
        if saved.problem:
            raise BackupError(f"{saved.problem}: repair or remove it first; {NOTHING}")
        pinned = frozenset(c.root_sha256 for c in saved.chains.values() if c.root_sha256)
    if pinned:
        return Trusted(pinned, "pinned", given)
    if given:
        return Trusted(given, "given", given)
    return None


def pretty(fp: str) -> str:
    return ":".join(fp[i : i + 4] for i in range(0, len(fp), 4))


def trust(archive: Archive, trusted: Trusted | None) -> None:
    """Refuse unless the signer's certificate chains to a root this station trusts."""
    path, fp = archive.path, archive.root_sha256
    if trusted is None:
        raise BackupError(
            f"{path} is signed by {archive.signer} under the plant root {pretty(fp)}, and this "
            "station has no plant root pinned yet (a new machine). Check that fingerprint "
            "with the plant (`qcstation keys public` on one of its stations prints it), then "
            f"pass --root-fingerprint {fp} (or --trust ROOT.pem); {NOTHING}"
        )
    if trusted.given and trusted.source == "pinned" and not trusted.given <= trusted.fingerprints:
        raise BackupError(
            "the root given is not the plant root this station pinned "
            f"({', '.join(pretty(p)[:19] + '…' for p in sorted(trusted.fingerprints))}); "
            f"{NOTHING}"
        )
    if fp not in trusted.fingerprints or archive.manifest["plant_root"].get("sha256") != fp:
        whose = "this station pinned" if trusted.source == "pinned" else "you gave"
        raise BackupError(
            f"{path} belongs to another plant: it is signed under the root "
            f"{pretty(fp)[:19]}…, not the one {whose} "
            f"({', '.join(pretty(p)[:19] + '…' for p in sorted(trusted.fingerprints))}); "
            f"{NOTHING}"
        )
    cert, root = archive.certificate, archive.root
    if archive.signer == ROOT_ACTOR:
        if fingerprint(cert) != fp:
            raise BackupError(f"{path}: signed as the plant root, but not with its certificate")
    else:
        if not keys.issued_by(cert, root):
            raise BackupError(
                f"{path}: {archive.signer}'s certificate was not issued by the plant root; "
                f"{NOTHING}"
            )
        if keys.certificate_unit(cert) != archive.signer:
            raise BackupError(
                f"{path}: the certificate that signed it was issued to "
                f"{keys.certificate_unit(cert)!r}, not to {archive.signer!r}; {NOTHING}"
            )
    with contextlib.suppress(ValueError):
        made = datetime.fromisoformat(archive.created_at)
        if not cert.not_valid_before_utc <= made <= cert.not_valid_after_utc:
            raise BackupError(
                f"{path}: {archive.signer}'s certificate was not valid on {made:%Y-%m-%d}; "
                f"{NOTHING}"
            )
    archive.trusted_as = "pinned on this station" if trusted.source == "pinned" else "given"


def describe(archive: Archive) -> str:
    m = archive.manifest
    evidence = sum(1 for n in m.get("files", {}) if n.startswith("evidence/"))
    when = archive.created_at
    with contextlib.suppress(TypeError, ValueError):
        when = datetime.fromisoformat(when).strftime("%Y-%m-%d %H:%M UTC")
    head_id, _ = archive.head
    kept = len(archive.evidence_in_place)
    return (
        f"{m.get('database')} backup of station {m.get('station')!r} made {when} by "
        f"{archive.signer} at schema {archive.schema}, audit trail up to entry #{head_id}, "
        f"{evidence} evidence files"
        + (f" (and {kept} left in the evidence folder)" if kept else "")
    )
