"""The compact signed payload a customer certificate carries in its QR code.

Text form: ``QC1.`` followed by base64url (no padding) of::

    version (1 byte, 1) | key tag (4 bytes) | issue date (2 bytes, days since 2000-01-01)
    | verdict (1 ASCII byte) | record SHA-256 (32 bytes) | number length (1) | number (UTF-8)
    | Ed25519 signature (64 bytes) over everything before it

About 160 characters for a typical number: a QR of version 9 at error-correction level M,
readable from a printed card. The key tag is the first 4 bytes of the seal key's id
(SHA-256 of its public key), so a verifier holding several plant keys picks the right one.
When a verification URL pattern is configured, the QR holds the URL with the payload in it;
``find_payload`` takes the payload back out of either.
"""

from __future__ import annotations

import base64
import re
import struct
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

PREFIX = "QC1."
VERSION = 1
EPOCH = date(2000, 1, 1)
SIGNATURE_BYTES = 64
_HEAD = struct.Struct(">B4sHc32sB")
_PAYLOAD_RE = re.compile(r"QC1\.([A-Za-z0-9_-]{100,})")


class PayloadError(ValueError):
    """Text that is not a qcstation certificate payload, or a damaged one."""


class CertificateVerdict(str, Enum):
    """The verdict printed on a certificate: the inspection's, settled by a review if any."""

    PASS = "P"
    FAIL = "F"
    NEEDS_REVIEW = "R"
    ACCEPTED = "A"  # needs review, accepted by a supervisor
    REJECTED = "X"  # needs review, rejected by a supervisor

    @property
    def label(self) -> str:
        return {
            "P": "PASS",
            "F": "FAIL",
            "R": "PENDING REVIEW",
            "A": "PASS (accepted on review)",
            "X": "FAIL (rejected on review)",
        }[self.value]


@dataclass(frozen=True)
class CertificateClaim:
    """What the QR code asserts; ``body`` is the signed part."""

    number: str
    record_hash: str
    verdict: CertificateVerdict
    issued: date
    key_tag: bytes

    def body(self) -> bytes:
        number = self.number.encode("utf-8")
        if not 1 <= len(number) <= 64:
            raise PayloadError("a certificate number is 1-64 bytes")
        days = (self.issued - EPOCH).days
        if not 0 <= days <= 0xFFFF:
            raise PayloadError(f"date {self.issued} cannot be encoded")
        head = _HEAD.pack(
            VERSION,
            self.key_tag,
            days,
            self.verdict.value.encode("ascii"),
            bytes.fromhex(self.record_hash),
            len(number),
        )
        return head + number


def encode(claim: CertificateClaim, signature: bytes) -> str:
    if len(signature) != SIGNATURE_BYTES:
        raise PayloadError("an Ed25519 signature is 64 bytes")
    raw = claim.body() + signature
    return PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def find_payload(text: str) -> str:
    """The payload inside scanned text: the payload itself, or a URL that carries it."""
    match = _PAYLOAD_RE.search(text.strip())
    if not match:
        raise PayloadError("no qcstation certificate payload (QC1.…) in the text")
    return match.group(0)


def decode(text: str) -> tuple[CertificateClaim, bytes, bytes]:
    """(claim, signed body, signature) from a payload or a URL holding one."""
    token = find_payload(text)[len(PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except ValueError:
        raise PayloadError("the payload is not valid base64url") from None
    if len(raw) < _HEAD.size + 1 + SIGNATURE_BYTES:
        raise PayloadError("the payload is too short: damaged or cut off")
    version, tag, days, verdict, digest, n = _HEAD.unpack_from(raw)
    if version != VERSION:
        raise PayloadError(f"payload version {version} is not known to this qcstation")
    end = _HEAD.size + n
    if len(raw) != end + SIGNATURE_BYTES:
        raise PayloadError("the payload length does not add up: damaged or cut off")
    try:
        number = raw[_HEAD.size : end].decode("utf-8")
        claim = CertificateClaim(
            number, digest.hex(), CertificateVerdict(verdict.decode("ascii")), EPOCH, tag
        )
    except (UnicodeDecodeError, ValueError):
        raise PayloadError("the payload holds an unknown verdict or a garbled number") from None
    claim = CertificateClaim(
        claim.number, claim.record_hash, claim.verdict, EPOCH + timedelta(days=days), tag
    )
    return claim, raw[:end], raw[end:]
