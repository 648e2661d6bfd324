"""PAdES signatures with pyHanko: B-B offline, B-T when a time-stamp server is configured.

The signature goes into a new field with a visible appearance at the box the layout
reserved. The document's content (the record and the document's own facts, as JSON) is
embedded as a file in the same revision the signature covers, so a verifier reads what
the document states from inside the signature. The ``reason`` names the number,
inspection and record hash for people reading the signature panel of a PDF reader.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils import embed
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore

from qcstation.reports.model import SignatureArea

FIELD = "qcstation"
CONTENT_FILE = "qcstation-document.json"


class TimestampUnavailable(RuntimeError):
    """The time-stamp server gave no usable answer; nothing was signed."""


@dataclass(frozen=True)
class SigningIdentity:
    """A signer as DER bytes: the private key (PKCS#8), its certificate, the chain."""

    private_key: bytes
    certificate: bytes
    chain: tuple[bytes, ...]


def _signer(identity: SigningIdentity) -> signers.SimpleSigner:
    chain = [asn1_x509.Certificate.load(der) for der in identity.chain]
    # The root stays out of the signature: a verifier must bring it (the plant's, from the
    # station or a file), and the container holds no unsigned bytes a forger could change.
    return signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(identity.certificate),
        signing_key=asn1_keys.PrivateKeyInfo.load(identity.private_key),
        cert_registry=SimpleCertificateStore.from_certs(chain),
        embed_roots=False,
    )


def timestamper_for(url: str | None) -> Any:
    """An RFC 3161 client for the configured server (B-T), or None (B-B).

    Tested against pyHanko's test TSA served over HTTP on this machine.
    """
    return timestamps.HTTPTimeStamper(url, timeout=20) if url else None


def sign_pdf(
    pdf: bytes,
    identity: SigningIdentity,
    area: SignatureArea | None,
    reason: str,
    location: str,
    stamp_text: str,
    timestamper: Any = None,
    font_size: int = 7,
    content: bytes | None = None,
) -> bytes:
    """The PDF with one PAdES signature appended (incremental update); ``content`` is
    embedded as CONTENT_FILE in the revision the signature covers."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    if content is not None:
        data = embed.EmbeddedFileObject.from_file_data(
            writer, content, mime_type="application/json"
        )
        spec = embed.FileSpec(
            file_spec_string=CONTENT_FILE,
            file_name=CONTENT_FILE,
            embedded_data=data,
            description="what this document states: the inspection record and the "
            "document's facts (qcstation verify compares it with the record)",
        )
        embed.embed_file(writer, spec)
    meta = PdfSignatureMetadata(
        field_name=FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    field_spec = fields.SigFieldSpec(
        FIELD,
        on_page=(area.page - 1) if area else 0,
        box=_int_box(area.box) if area else None,
    )
    style = TextStampStyle(
        stamp_text=stamp_text,
        border_width=1,
        text_box_style=_text_style(font_size),
    )
    signer = signers.PdfSigner(
        meta,
        _signer(identity),
        timestamper=timestamper,
        stamp_style=style,
        new_field_spec=field_spec,
    )
    try:
        out = signer.sign_pdf(writer)
    except timestamps.TimestampRequestError as exc:
        raise TimestampUnavailable(str(exc.__cause__ or exc)) from exc
    return bytes(out.getvalue())


def _int_box(box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = (round(v) for v in box)
    return x1, y1, x2, y2


def _text_style(font_size: int) -> Any:
    from pyhanko.pdf_utils.text import TextBoxStyle

    # pyHanko's layout works in fractions: whole numbers only.
    return TextBoxStyle(font_size=font_size, leading=round(font_size * 1.25))
