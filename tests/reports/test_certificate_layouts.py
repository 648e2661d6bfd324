"""Every certificate layout fits its text: wrapped or shrunk, never cut ("rhodium plat…").

Each layout (A4, letter, the two-sided card) is built with the longest claims a certificate
carries, a long plant name, number and verdict and long signer names; then poppler's
``pdftotext -bbox`` gives every word's box. Each word must lie inside the page's frame and
overlap no other word, no word may end in an ellipsis, and every claim must be there whole.
"""

from __future__ import annotations

import html
import io
import re
import subprocess
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from reportlab.lib.units import mm

from qcstation.domain.certificates import MAX_CLAIM_BYTES
from qcstation.domain.signing import ESignature, Manifest, Meaning
from qcstation.imaging.scenes import encode_jpeg, render_piece
from qcstation.reports.certificate import LayoutOverflow, build_certificate
from qcstation.reports.model import CertificateContent, Photo

pytestmark = pytest.mark.usefixtures("poppler")

AT = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)
FRAME = {"a4": 12 * mm, "letter": 12 * mm, "card": 1.5 * mm}  # the guilloche's outer edge


def _sig(meaning: Meaning, name: str, role: str) -> ESignature:
    m = Manifest("i", "ab" * 32, meaning, "u", name, role, AT, "2026-11-25T09:00:00+01:00", "k")
    return ESignature(1, m, "", "CN=x")


def _longest(text: str) -> str:
    """The text repeated up to the most a claim may hold."""
    out = text
    while len((out + " " + text).encode()) <= MAX_CLAIM_BYTES:
        out += " " + text
    return out


LONG_CLAIMS = [
    ("Article", _longest("18k white gold halo engagement ring, rhodium plated")),
    ("SKU", "RG-HALO-PAVE-0412-WG-RHODIUM-PLATED-XL"),
    ("Serial", "SN-2026-11-000123456789-ABCDEF"),
    ("Metal", _longest("white gold, rhodium plated")),
    ("Fineness", "750 (18k)"),
    ("Gross weight", "123.45 g"),
    ("Stones", _longest("31 stones, 1.27 ct total (1 × 0.50 ct centre, 30 × 0.025 ct pavé)")),
    ("Hallmark / HUID", _longest("BIS 750 HUID AB12CD")),
    ("Ring size", "EU 54 (17.2 mm inside diameter, sized up from EU 52)"),
    ("Inspection", "Final QC, 2026-11-25"),
]


def content(tmp_path: Path, claims: list[tuple[str, str]]) -> CertificateContent:
    photo = tmp_path / "photo"
    photo.write_bytes(encode_jpeg(render_piece(1, 640, 480)))
    return CertificateContent(
        number="BENCH-LONG-STATION-NAME-S12-C000123",
        plant="Acme Fine Jewelry Manufacturing and Export Private Limited, Unit 2"[:64],
        issued=date(2026, 11, 25),
        title=claims[0][1],
        description=claims,
        verdict="ACCEPTED ON REVIEW",
        verdict_ok=True,
        signers=[
            _sig(Meaning.PERFORMED, "Ines Inspector-Longname von Hohenberg-Whitfield", "inspector"),
            _sig(Meaning.REVIEWED, "Rosalind Reviewer-Montgomery", "supervisor"),
            _sig(Meaning.APPROVED, "Sam Supervisor", "supervisor"),
        ],
        qr_text="QC1." + "A" * 340,
        record_hash="ab" * 32,
        seal_key_id="cd" * 32,
        photo=Photo(photo, "image/jpeg", "0" * 64, "piece"),
        verify_hint="Checks offline with the plant's public keys: <i>qcstation verify --qr</i>",
        summary=[
            "Final QC (version 2): 17 checks: 17 passed, 0 failed (2 recorded, 1 photo taken)",
            "no defects found",
        ],
        issued_by="Sam Supervisor (supervisor)",
    )


def words(
    pdf: Path,
) -> list[tuple[int, float, float, list[tuple[float, float, float, float, str]]]]:
    """Per page: (number, width, height, [(x0, y0, x1, y1, word)])."""
    out = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = []
    for n, page in enumerate(re.findall(r"<page (.*?)</page>", out, re.S), start=1):
        w = float(re.search(r'width="([\d.]+)"', page).group(1))  # type: ignore[union-attr]
        h = float(re.search(r'height="([\d.]+)"', page).group(1))  # type: ignore[union-attr]
        found = [
            (float(a), float(b), float(c), float(d), html.unescape(t))
            for a, b, c, d, t in re.findall(
                r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>',
                page,
            )
        ]
        pages.append((n, w, h, found))
    return pages


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    dx = min(a[2], b[2]) - max(a[0], b[0])
    dy = min(a[3], b[3]) - max(a[1], b[1])
    return min(dx, dy) if dx > 0 and dy > 0 else 0.0


@pytest.mark.parametrize("size", ["a4", "letter", "card"])
def test_every_layout_fits_the_longest_claims_without_cutting_a_word(
    tmp_path: Path, size: str
) -> None:
    pdf = tmp_path / f"c-{size}.pdf"
    buf = io.BytesIO()
    build_certificate(content(tmp_path, LONG_CLAIMS), size, buf)  # type: ignore[arg-type]
    pdf.write_bytes(buf.getvalue())
    pages = words(pdf)
    assert len(pages) == (2 if size == "card" else 1)  # the card has a back
    frame = FRAME[size]
    everything = ""
    for n, w, h, found in pages:
        assert found, f"page {n} holds no text"
        for x0, y0, x1, y1, word in found:
            inside = x0 >= frame - 0.5 and x1 <= w - frame + 0.5 and y0 >= frame - 0.5
            assert inside and y1 <= h - frame + 0.5, f"{word!r} leaves the frame on page {n}"
            assert not word.endswith("…") and not word.endswith("..."), f"{word!r} was cut"
        for i, a in enumerate(found):
            for b in found[i + 1 :]:
                assert _overlap(a, b) < 0.6, f"{a[4]!r} and {b[4]!r} overlap on page {n}"
        everything += "".join(t for *_box, t in found)
    for label, value in LONG_CLAIMS:
        assert label.replace(" ", "") in everything
        assert value.replace(" ", "") in everything, f"{label} is not printed whole"
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(pdf), str(tmp_path / f"page-{size}")], check=True
    )
    assert len(list(tmp_path.glob(f"page-{size}*.png"))) == len(pages)


def test_what_cannot_fit_is_refused_not_cut(tmp_path: Path) -> None:
    absurd = [("Article", "a very long article description " * 60), *LONG_CLAIMS[1:]]
    with pytest.raises(LayoutOverflow, match="card"):
        build_certificate(content(tmp_path, absurd), "card", io.BytesIO())
