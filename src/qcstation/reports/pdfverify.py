"""Checking a PDF's signatures with pyHanko: intact, chained to a trusted root, whole file."""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext


class UnreadablePdf(ValueError):
    """The file cannot be read as a PDF at all (damaged, cut off, another kind of file)."""


@dataclass(frozen=True)
class PdfSignatureCheck:
    field: str
    signer: str
    signer_certificate: bytes  # DER
    signing_time: datetime | None
    timestamped: bool
    intact: bool  # the signed bytes hash to what was signed
    valid: bool  # the signature value is correct for the signer's key
    trusted: bool  # the signer's certificate chains to one of the trust roots
    whole_file: bool  # nothing was appended after signing
    reason: str
    details: str

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.whole_file


def _quiet() -> None:
    # pyHanko logs every failed check at WARNING; the caller reports them itself.
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _padding_clean(sig_object: Any) -> bool:
    """The signature container holds one DER object followed by zero padding only.

    Readers ignore what follows the DER object; a change there would go unnoticed.
    """
    raw = bytes(sig_object.get("/Contents", b""))
    if len(raw) < 2 or raw[0] != 0x30:
        return False
    n = raw[1]
    if n < 0x80:
        end = 2 + n
    else:
        width = n & 0x7F
        end = 2 + width + int.from_bytes(raw[2 : 2 + width], "big")
    return end <= len(raw) and not any(raw[end:])


def _failed(sig: Any, reason: str, details: str) -> PdfSignatureCheck:
    try:
        cert = sig.signer_cert
        name, der = cert.subject.human_friendly, cert.dump()
    except Exception:  # the certificate itself may be what was damaged
        name, der = "?", b""
    return PdfSignatureCheck(
        sig.field_name, name, der, None, False, False, False, False, False, reason, details
    )


def embedded_file(data: bytes, name: str) -> bytes | None:
    """The embedded file of that name (the document's content), or None when it has none.
    Read from the file as a whole: a verifier also checks that the signature covers the
    whole file, so this is what was signed."""
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        names = reader.root.get("/Names")
        tree = names.get_object().get("/EmbeddedFiles") if names is not None else None
        pairs = tree.get_object().get("/Names") if tree is not None else None
        if pairs is None:
            return None
        pairs = pairs.get_object()
        for i in range(0, len(pairs) - 1, 2):
            if str(pairs[i]) != name:
                continue
            spec = pairs[i + 1].get_object()
            stream = spec["/EF"]["/F"].get_object()
            return bytes(stream.data)
    except (PdfError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise UnreadablePdf(f"holds an embedded file that cannot be read ({exc})") from None
    return None


def check_pdf(data: bytes, trust_roots: Sequence[bytes]) -> list[PdfSignatureCheck]:
    """Every signature in the file, checked against the given root certificates (DER)."""
    _quiet()
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        sigs = list(reader.embedded_signatures)
    except (PdfError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise UnreadablePdf(f"cannot be read as a PDF ({exc})") from None
    roots = [asn1_x509.Certificate.load(der) for der in trust_roots]
    out = []
    for sig in sigs:
        reason = str(sig.sig_object.get("/Reason", ""))
        if not _padding_clean(sig.sig_object):
            out.append(_failed(sig, reason, "bytes inside the signature container were changed"))
            continue
        try:
            ctx = ValidationContext(trust_roots=roots, allow_fetching=False)
            st = validate_pdf_signature(sig, ctx)
        except Exception as exc:  # pyHanko raises many types on damaged signature data
            out.append(_failed(sig, reason, f"the signature could not be checked: {exc}"))
            continue
        out.append(
            PdfSignatureCheck(
                field=sig.field_name,
                signer=st.signing_cert.subject.human_friendly,
                signer_certificate=st.signing_cert.dump(),
                signing_time=(
                    st.timestamp_validity.timestamp
                    if st.timestamp_validity
                    else st.signer_reported_dt
                ),
                timestamped=st.timestamp_validity is not None,
                intact=bool(st.intact),
                valid=bool(st.valid),
                trusted=bool(st.bottom_line and st.trusted),
                whole_file=st.coverage == SignatureCoverageLevel.ENTIRE_FILE,
                reason=reason,
                details=st.pretty_print_details(),
            )
        )
    return out
