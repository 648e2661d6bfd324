"""The compact signed payload a customer certificate carries in its QR code.

Text form: ``QC1.`` followed by base64url (no padding) of::

    version (1 byte) | key tag (4 bytes) | issue date (2 bytes, days since 2000-01-01)
    | verdict (1 ASCII byte) | record SHA-256 (32 bytes) | number length (1) | number (UTF-8)
    [version 2: | claim count (1) | per claim: code (1 ASCII byte) | length (1) | value]
    | Ed25519 signature (64 bytes) over everything before it

Version 2 carries the certificate's printed claims themselves (SKU, serial, article, metal,
fineness, gross weight, stones, hallmark, ring size), so a claim changed on the paper
("0.50 ct" made "1.50 ct") no longer matches what the QR code, sealed by the plant, says.
Version 1 (no claims) is still read, for certificates printed before.

The key tag is the first 4 bytes of the seal key's id (SHA-256 of its public key), so a
verifier holding several plant seals (a retired one, the one in force) picks the right one.
A QR code holds the bare payload, or the station's ``certificate_verify_url`` with the
payload in it; ``extract`` takes the payload back out of exactly those two forms.
"""

from __future__ import annotations

import base64
import re
import struct
from dataclasses import dataclass
from datetime import date, timedelta

from qcstation.domain.verdicts import FinalVerdict

PREFIX = "QC1."
VERSION = 2
VERSIONS = (1, 2)
EPOCH = date(2000, 1, 1)
SIGNATURE_BYTES = 64
MAX_CLAIM_BYTES = 120
_HEAD = struct.Struct(">B4sHc32sB")
_PAYLOAD = r"QC1\.[A-Za-z0-9_-]{100,}"
_PAYLOAD_RE = re.compile(_PAYLOAD)

# Kept for old imports: the verdict a certificate prints is the settled verdict.
CertificateVerdict = FinalVerdict


class PayloadError(ValueError):
    """Text that is not a qcstation certificate payload, or a damaged one."""


# What a certificate may claim about the piece, in the order it prints them. The code is
# what the QR payload carries; the label what the paper prints beside the value.
CLAIM_LABELS = {
    "A": "Article",
    "K": "SKU",
    "N": "Serial",
    "M": "Metal",
    "F": "Fineness",
    "W": "Gross weight",
    "S": "Stones",
    "H": "Hallmark / HUID",
    "Z": "Ring size",
}


@dataclass(frozen=True)
class Claim:
    """One printed statement about the piece: ``Gross weight: 3.42 g``."""

    code: str
    value: str

    @property
    def label(self) -> str:
        return CLAIM_LABELS.get(self.code, self.code)

    def __str__(self) -> str:
        return f"{self.label}: {self.value}"


def check_claims(claims: tuple[Claim, ...]) -> None:
    seen = set()
    for c in claims:
        if c.code not in CLAIM_LABELS:
            raise PayloadError(f"unknown claim code {c.code!r}")
        if c.code in seen:
            raise PayloadError(f"claim {c.label} given twice")
        seen.add(c.code)
        if not 1 <= len(c.value.encode("utf-8")) <= MAX_CLAIM_BYTES:
            raise PayloadError(f"claim {c.label} must be 1-{MAX_CLAIM_BYTES} bytes")


@dataclass(frozen=True)
class CertificateClaim:
    """What the QR code asserts; ``body`` is the signed part."""

    number: str
    record_hash: str
    verdict: FinalVerdict
    issued: date
    key_tag: bytes
    claims: tuple[Claim, ...] = ()
    version: int = VERSION

    def body(self) -> bytes:
        number = self.number.encode("utf-8")
        if not 1 <= len(number) <= 64:
            raise PayloadError("a certificate number is 1-64 bytes")
        days = (self.issued - EPOCH).days
        if not 0 <= days <= 0xFFFF:
            raise PayloadError(f"date {self.issued} cannot be encoded")
        if self.version not in VERSIONS:
            raise PayloadError(f"payload version {self.version} is not known")
        head = _HEAD.pack(
            self.version,
            self.key_tag,
            days,
            self.verdict.value.encode("ascii"),
            bytes.fromhex(self.record_hash),
            len(number),
        )
        if self.version == 1:
            if self.claims:
                raise PayloadError("a version 1 payload carries no claims")
            return head + number
        check_claims(self.claims)
        out = bytearray(head + number + bytes([len(self.claims)]))
        for c in self.claims:
            value = c.value.encode("utf-8")
            out += c.code.encode("ascii") + bytes([len(value)]) + value
        return bytes(out)


def encode(claim: CertificateClaim, signature: bytes) -> str:
    if len(signature) != SIGNATURE_BYTES:
        raise PayloadError("an Ed25519 signature is 64 bytes")
    raw = claim.body() + signature
    return PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def find_payload(text: str) -> str:
    """A payload anywhere in the text (to pick the qcstation code among several in an
    image); what counts as a certificate's QR text is decided by ``extract``."""
    match = _PAYLOAD_RE.search(text.strip())
    if not match:
        raise PayloadError("no qcstation certificate payload (QC1.…) in the text")
    return match.group(0)


def url_regex(pattern: str) -> re.Pattern[str]:
    """The configured verification URL pattern as a regular expression that matches the
    whole URL: {payload} and {number} are the only variable parts."""
    escaped = re.escape(pattern)
    escaped = escaped.replace(re.escape("{payload}"), f"(?P<payload>{_PAYLOAD})", 1)
    escaped = escaped.replace(re.escape("{number}"), r"(?P<number>[A-Za-z0-9._~-]{1,64})", 1)
    return re.compile(escaped)


def extract(text: str, url_pattern: str | None = None) -> tuple[str, str | None]:
    """(payload, number in the URL or None) from a QR code's text.

    Only two forms are taken: the bare payload, or the station's configured verification
    URL with the payload in it. A genuine payload inside any other text (someone else's
    web address) is refused: the QR code on the paper is not the plant's.
    """
    t = text.strip()
    if re.fullmatch(_PAYLOAD, t):
        return t, None
    if url_pattern and "{payload}" in url_pattern:
        m = url_regex(url_pattern).fullmatch(t)
        if m:
            return m.group("payload"), m.groupdict().get("number")
    if _PAYLOAD_RE.search(t):
        where = f" ({url_pattern})" if url_pattern else ""
        raise PayloadError(
            "the QR code holds a qcstation payload inside text that is not the plant's "
            f"verification address{where}: this is not how the plant prints its QR codes; "
            "do not accept it"
        )
    raise PayloadError("no qcstation certificate payload (QC1.…) in the text")


def decode(text: str) -> tuple[CertificateClaim, bytes, bytes]:
    """(claim, signed body, signature) from a bare payload (``find_payload`` first for
    other text)."""
    token = find_payload(text)[len(PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except ValueError:
        raise PayloadError("the payload is not valid base64url") from None
    if len(raw) < _HEAD.size + 1 + SIGNATURE_BYTES:
        raise PayloadError("the payload is too short: damaged or cut off")
    version, tag, days, verdict, digest, n = _HEAD.unpack_from(raw)
    if version not in VERSIONS:
        raise PayloadError(f"payload version {version} is not known to this qcstation")
    end = _HEAD.size + n
    claims: list[Claim] = []
    try:
        number = raw[_HEAD.size : end].decode("utf-8")
        shown = FinalVerdict(verdict.decode("ascii"))
        if version == 2:
            count, end = raw[end], end + 1
            for _ in range(count):
                code, size = chr(raw[end]), raw[end + 1]
                value = raw[end + 2 : end + 2 + size]
                if len(value) != size:
                    raise IndexError
                claims.append(Claim(code, value.decode("utf-8")))
                end += 2 + size
    except IndexError:
        raise PayloadError("the payload length does not add up: damaged or cut off") from None
    except (UnicodeDecodeError, ValueError):
        raise PayloadError("the payload holds an unknown verdict or a garbled number") from None
    if len(raw) != end + SIGNATURE_BYTES:
        raise PayloadError("the payload length does not add up: damaged or cut off")
    claim = CertificateClaim(
        number,
        digest.hex(),
        shown,
        EPOCH + timedelta(days=days),
        tag,
        tuple(claims),
        version,
    )
    try:
        check_claims(claim.claims)
    except PayloadError as exc:
        raise PayloadError(f"the payload's claims are damaged: {exc}") from None
    return claim, raw[:end], raw[end:]
