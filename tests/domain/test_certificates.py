"""The certificate QR payload: compact, exact round trip, damage detected; version 2 carries
the printed claims, version 1 (old prints) still reads; taken only bare or in the URL."""

from __future__ import annotations

import base64
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcstation.domain import certificates
from qcstation.domain.certificates import CertificateClaim, CertificateVerdict, Claim, PayloadError

CLAIMS = (Claim("K", "RG-SOL-0412"), Claim("W", "3.42 g"), Claim("S", "1 stone, 0.50 ct total"))
CLAIM = CertificateClaim(
    "ST1-C000042",
    "ab" * 32,
    CertificateVerdict.PASS,
    date(2026, 11, 25),
    b"\x01\x02\x03\x04",
    CLAIMS,
)
OLD = CertificateClaim(
    "ST1-C000042",
    "ab" * 32,
    CertificateVerdict.PASS,
    date(2026, 11, 25),
    b"\x01\x02\x03\x04",
    (),
    1,
)
SIG = bytes(range(64))


def test_round_trip_and_size() -> None:
    text = certificates.encode(CLAIM, SIG)
    assert text.startswith("QC1.") and len(text) < 240
    claim, body, sig = certificates.decode(text)
    assert claim == CLAIM and body == CLAIM.body() and sig == SIG


def test_a_version_1_payload_from_an_old_print_still_reads() -> None:
    text = certificates.encode(OLD, SIG)
    assert len(text) < 170
    claim, body, _sig = certificates.decode(text)
    assert claim == OLD and claim.version == 1 and claim.claims == ()
    assert body == OLD.body()


def test_a_changed_claim_changes_the_signed_body() -> None:
    """'0.50 ct' made '1.50 ct' on the paper: the sealed body is no longer the same."""
    raw = bytearray(base64.urlsafe_b64decode(certificates.encode(CLAIM, SIG)[4:] + "=="))
    at = raw.index(b"0.50 ct")
    raw[at : at + 1] = b"1"
    claim, body, _ = certificates.decode(
        "QC1." + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    )
    assert Claim("S", "1 stone, 1.50 ct total") in claim.claims
    assert body != CLAIM.body()


@given(
    number=st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-", min_size=1, max_size=40),
    days=st.integers(0, 0xFFFF),
    verdict=st.sampled_from(list(CertificateVerdict)),
    digest=st.binary(min_size=32, max_size=32),
    values=st.lists(st.text(min_size=1, max_size=30).filter(str.strip), max_size=9),
)
def test_any_claim_round_trips(
    number: str, days: int, verdict: CertificateVerdict, digest: bytes, values: list[str]
) -> None:
    codes = list(certificates.CLAIM_LABELS)
    claims = tuple(Claim(codes[i], v) for i, v in enumerate(values))
    claim = CertificateClaim(
        number, digest.hex(), verdict, certificates.EPOCH + timedelta(days=days), b"tagg", claims
    )
    assert certificates.decode(certificates.encode(claim, SIG))[0] == claim


def test_the_payload_is_taken_bare_or_in_the_plants_url_only() -> None:
    text = certificates.encode(CLAIM, SIG)
    assert certificates.extract(text) == (text, None)
    pattern = "https://verify.example.com/c/{number}?p={payload}"
    url = pattern.format(number="ST1-C000042", payload=text)
    assert certificates.extract(url, pattern) == (text, "ST1-C000042")
    for elsewhere in (
        f"https://evil.example.com/c/ST1-C000042?p={text}",
        f"{url}&then=https://evil.example.com",
        f"see {text}",
    ):
        with pytest.raises(PayloadError, match="not the plant's verification address"):
            certificates.extract(elsewhere, pattern)
    with pytest.raises(PayloadError, match="not the plant's verification address"):
        certificates.extract(url)  # no pattern configured: only the bare payload
    with pytest.raises(PayloadError, match="no qcstation"):
        certificates.extract("https://example.com/hello", pattern)


def test_damaged_payloads_are_refused() -> None:
    text = certificates.encode(CLAIM, SIG)
    with pytest.raises(PayloadError, match="no qcstation"):
        certificates.decode("hello")
    with pytest.raises(PayloadError, match=r"does not add up|too short"):
        certificates.decode(text[:-12])
    token = text[4:]
    cut = next(n for n in range(5, 12) if (len(token) - n) % 4 == 1)  # not base64 at all
    with pytest.raises(PayloadError, match="base64url"):
        certificates.decode(text[:-cut])
    with pytest.raises(PayloadError, match="version"):
        certificates.decode("QC1.B" + text[5:])
    with pytest.raises(PayloadError, match="unknown claim code"):
        CertificateClaim(
            "N1", "ab" * 32, CertificateVerdict.PASS, date(2026, 1, 1), b"tagg", (Claim("?", "x"),)
        ).body()
