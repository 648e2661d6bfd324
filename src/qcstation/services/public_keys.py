"""The plant's public keys file (`qcstation keys public`): what an offline verifier trusts.

Labelled PEM blocks (RFC 7468 allows text between them), one per plant certificate: the
root, and every certificate seal and document key the plant ever had, each with its state::

    Key: seal
    Key-Id: 3f0c…
    State: retired 2026-05-01T10:00:00+00:00
    Exposed: every user's key held a copy of this seal (qcstation < 0.2) …
    -----BEGIN CERTIFICATE-----

An offline check of a QR code or a PDF finds the key that signed it here, and refuses
what is dated after that key was retired or revoked, or signed by a key that was exposed.
A file of bare certificates (the root alone, or an older `keys public`) still reads: the
kind of each certificate is then told from the certificate itself, with no state known.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import select
from sqlalchemy.orm import Session

from qcstation.accounts import keys
from qcstation.services import _keyring
from qcstation.store.models import PlantKeyExposureRow, SigningKeyRow

END = "-----END CERTIFICATE-----"
KINDS = (_keyring.ROOT, _keyring.SEAL, _keyring.DOCUMENT)


@dataclass(frozen=True)
class PublishedKey:
    kind: str  # root | seal | document | other
    certificate: x509.Certificate
    key_id: str
    retired_at: datetime | None = None  # retired or revoked: nothing signed after counts
    ended: str = ""  # "retired" | "revoked" | ""
    exposed: str = ""  # why it proves nothing offline, if it left the issuers' hands

    @property
    def public_key(self) -> keys.PublicKey:
        return keys.certificate_public_key(self.certificate)


def render(session: Session, plant: str) -> str:
    rows = session.scalars(
        select(SigningKeyRow)
        .where(SigningKeyRow.kind.in_(KINDS), SigningKeyRow.certificate.is_not(None))
        .order_by(SigningKeyRow.id)
    ).all()
    exposed: dict[int, str] = {}
    for key_id, reason in session.execute(
        select(PlantKeyExposureRow.signing_key_id, PlantKeyExposureRow.reason)
    ):
        exposed.setdefault(key_id, reason)
    out = [
        f"qcstation plant public keys: {plant}",
        "Give this file to `qcstation verify --trust FILE` (PDFs) or `--public-key FILE` (QR).",
        "",
    ]
    for row in rows:
        out.append(f"Key: {row.kind}")
        out.append(f"Key-Id: {row.key_id}")
        if row.revoked_at is not None:
            out.append(f"State: revoked {row.revoked_at.isoformat(timespec='seconds')}")
        elif row.retired_at is not None:
            out.append(f"State: retired {row.retired_at.isoformat(timespec='seconds')}")
        else:
            out.append("State: in force")
        if row.id in exposed:
            out.append("Exposed: " + " ".join(exposed[row.id].split()))
        out.append((row.certificate or "").strip())
        out.append("")
    return "\n".join(out)


def _kind_of(cert: x509.Certificate) -> str:
    if keys.issued_by(cert, cert):
        return _keyring.ROOT
    if isinstance(cert.public_key(), ed25519.Ed25519PublicKey):
        return _keyring.SEAL
    if keys.is_document_certificate(cert):
        return _keyring.DOCUMENT
    return "other"


def parse(text: str) -> list[PublishedKey]:
    """Every certificate in the text with the state its labels give; KeyFileError when a
    block is damaged."""
    found = []
    for chunk in text.split(END)[:-1]:
        head, _sep, body = chunk.partition("-----BEGIN CERTIFICATE-----")
        cert = keys.load_certs_pem(f"-----BEGIN CERTIFICATE-----{body}{END}\n")[0]
        labels: dict[str, str] = {}
        for line in head.splitlines():
            name, colon, value = line.partition(":")
            if colon and name.strip() in ("Key", "Key-Id", "State", "Exposed"):
                labels[name.strip()] = value.strip()
        kind = _kind_of(cert)
        state = labels.get("State", "").split()
        ended, when = "", None
        if len(state) == 2 and state[0] in ("retired", "revoked"):
            try:
                when = datetime.fromisoformat(state[1])
                ended = state[0]
            except ValueError:
                when = None
        found.append(
            PublishedKey(
                kind,
                cert,
                keys.key_id(keys.certificate_public_key(cert)),
                when,
                ended,
                labels.get("Exposed", ""),
            )
        )
    return found
