"""The certificate QR payload: compact, exact round trip, damage detected."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcstation.domain import certificates
from qcstation.domain.certificates import CertificateClaim, CertificateVerdict, PayloadError

CLAIM = CertificateClaim(
    "ST1-C000042", "ab" * 32, CertificateVerdict.PASS, date(2026, 11, 25), b"\x01\x02\x03\x04"
)
SIG = bytes(range(64))


def test_round_trip_and_size() -> None:
    text = certificates.encode(CLAIM, SIG)
    assert text.startswith("QC1.") and len(text) < 170
    claim, body, sig = certificates.decode(text)
    assert claim == CLAIM and body == CLAIM.body() and sig == SIG


@given(
    number=st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-", min_size=1, max_size=40),
    days=st.integers(0, 0xFFFF),
    verdict=st.sampled_from(list(CertificateVerdict)),
    digest=st.binary(min_size=32, max_size=32),
)
def test_any_claim_round_trips(
    number: str, days: int, verdict: CertificateVerdict, digest: bytes
) -> None:
    from datetime import timedelta

    claim = CertificateClaim(
        number, digest.hex(), verdict, certificates.EPOCH + timedelta(days=days), b"tagg"
    )
    assert certificates.decode(certificates.encode(claim, SIG))[0] == claim


def test_the_payload_is_found_inside_a_url() -> None:
    text = certificates.encode(CLAIM, SIG)
    url = f"https://verify.example.com/c/ST1-C000042?p={text}&lang=en"
    assert certificates.find_payload(url) == text
    assert certificates.decode(url)[0] == CLAIM


def test_damaged_payloads_are_refused() -> None:
    text = certificates.encode(CLAIM, SIG)
    with pytest.raises(PayloadError, match="no qcstation"):
        certificates.decode("hello")
    with pytest.raises(PayloadError, match=r"does not add up|too short"):
        certificates.decode(text[:-12])
    with pytest.raises(PayloadError, match="base64url"):
        certificates.decode(text[:-10])
    with pytest.raises(PayloadError, match="version"):
        certificates.decode("QC1.B" + text[5:])
