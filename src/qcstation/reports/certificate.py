"""The customer certificate: A4/Letter, or a wallet card (ID-1, 85.6 x 54 mm).

Security features a copier or an editor cannot carry over unnoticed: a guilloche border,
micro-printed certificate numbers along it, the record's SHA-256, the PDF signature, and
the QR code whose payload is signed by the plant seal (it verifies offline).
"""

from __future__ import annotations

import math
from typing import IO, Any

from reportlab.graphics import renderPDF
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import Paragraph, Table, TableStyle

from qcstation.reports import layout, qr
from qcstation.reports.layout import INK, MUTED, RULE, para
from qcstation.reports.model import CertificateContent, CertificateSize, SignatureArea
from qcstation.reports.photos import jpeg_files

CARD = (85.6 * mm, 54 * mm)
GUILLOCHE = colors.HexColor("#7FA7B5")
_S = layout.styles()


def _guilloche(c: Any, x: float, y: float, w: float, h: float, band: float, waves: int) -> None:
    """Interlaced sine bands along the frame with rosettes in the corners (vector drawing,
    so it stays sharp at any scale and a photocopy smudges it)."""
    c.saveState()
    c.setStrokeColor(GUILLOCHE)
    c.setLineWidth(0.25)
    edges = (  # start point, direction along, inward normal, length
        ((x + band, y), (1, 0), (0, 1), w - 2 * band),
        ((x + w, y + band), (0, 1), (-1, 0), h - 2 * band),
        ((x + w - band, y + h), (-1, 0), (0, -1), w - 2 * band),
        ((x, y + h - band), (0, -1), (1, 0), h - 2 * band),
    )
    for (x0, y0), (dx, dy), (nx, ny), length in edges:
        cycles = max(1, round(length / (band * 2.6)))
        for k in range(waves):
            phase = k * 2 * math.pi / waves
            path = c.beginPath()
            steps = int(length / 0.8) + 1
            for i in range(steps + 1):
                t = i / steps * length
                off = band / 2 * (1 + 0.92 * math.sin(2 * math.pi * cycles * t / length + phase))
                px, py = x0 + dx * t + nx * off, y0 + dy * t + ny * off
                path.moveTo(px, py) if i == 0 else path.lineTo(px, py)
            c.drawPath(path, stroke=1, fill=0)
    for cx, cy in ((x, y), (x + w - band, y), (x + w - band, y + h - band), (x, y + h - band)):
        _rosette(c, cx + band / 2, cy + band / 2, band / 2, waves * 3)
    c.setStrokeColor(INK)
    c.setLineWidth(0.6)
    c.rect(x - 0.8, y - 0.8, w + 1.6, h + 1.6)
    c.rect(x + band + 0.8, y + band + 0.8, w - 2 * band - 1.6, h - 2 * band - 1.6)
    c.restoreState()


def _rosette(c: Any, cx: float, cy: float, r: float, petals: int) -> None:
    for k in range(petals):
        a = k * math.pi / petals
        c.saveState()
        c.translate(cx, cy)
        c.rotate(math.degrees(a))
        c.ellipse(-r * 0.95, -r * 0.3, r * 0.95, r * 0.3, stroke=1, fill=0)
        c.restoreState()


def _microtext(c: Any, x: float, y: float, w: float, text: str, size: float) -> None:
    c.saveState()
    c.setFont("Helvetica", size)
    c.setFillColor(MUTED)
    unit = c.stringWidth(text + " · ", "Helvetica", size)
    line = (text + " · ") * max(1, int(w / unit) + 1)
    while c.stringWidth(line, "Helvetica", size) > w:
        line = line[:-1]
    c.drawString(x, y, line)
    c.restoreState()


def _signer_lines(content: CertificateContent) -> list[str]:
    return [
        f"{s.meaning.label} {s.manifest.printed_name} ({s.manifest.role}), "
        f"{s.manifest.signed_at:%Y-%m-%d %H:%M} UTC"
        for s in content.signers
    ]


def _photo(c: Any, photo: Any, x: float, top: float, box: float) -> float:
    """Draw the photo fitted in a box hanging from (x, top); returns its height."""
    if photo is None:
        c.setStrokeColor(RULE)
        c.rect(x, top - box, box, box)
        c.setFillColor(MUTED)
        size = 7.0  # shrunk to fit the box: on the card size the box is narrow
        while size > 3 and c.stringWidth("no photo on record", "Helvetica", size) > box - 4:
            size -= 0.5
        c.setFont("Helvetica", size)
        c.drawCentredString(x + box / 2, top - box / 2, "no photo on record")
        return box
    pb = layout.PhotoBox(photo, box, box)
    pb.canv = c
    c.saveState()
    c.translate(x + (box - pb.width) / 2, top - pb.height)
    pb.draw()
    c.restoreState()
    return float(pb.height)


def _full(
    c: Any,
    content: CertificateContent,
    size: tuple[float, float],
    photo: Any,
    found: list[SignatureArea],
) -> None:
    W, H = size
    m, band = 12 * mm, 6 * mm
    _guilloche(c, m, m, W - 2 * m, H - 2 * m, band, 5)
    inner_l, inner_r = m + band + 2.5, W - m - band - 2.5
    micro = f"{content.plant} CERTIFICATE {content.number}"
    _microtext(c, inner_l, H - m - band - 5, inner_r - inner_l, micro, 3)
    _microtext(c, inner_l, m + band + 3, inner_r - inner_l, micro, 3)
    left, right, top = m + band + 10 * mm, W - m - band - 10 * mm, H - m - band - 14 * mm
    c.setFillColor(MUTED)
    c.setFont("Helvetica", 9)
    c.drawString(left, top, content.plant.upper())
    c.drawRightString(right, top, f"Certificate No. {content.number}")
    c.drawRightString(right, top - 12, f"Issued {content.issued:%d %B %Y}")
    c.setFillColor(INK)
    c.setFont("Helvetica-Bold", 22)
    c.drawString(left, top - 34, "Certificate of Inspection")
    c.setFont("Helvetica", 10)
    c.setFillColor(MUTED)
    c.drawString(left, top - 50, content.title[:90])
    # photo (left) and description (right)
    box_top, box = top - 64, 80 * mm
    used = _photo(c, photo, left, box_top, box)
    tx = left + box + 8 * mm
    rows = [[para(k, _S["cellb"]), para(v, _S["body"])] for k, v in content.description]
    t = Table(rows, colWidths=[24 * mm, right - tx - 24 * mm])
    t.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    _tw, th = t.wrapOn(c, right - tx, box)
    t.drawOn(c, tx, box_top - th)
    # verdict band, then who signed
    vy = box_top - max(used, th) - 24 * mm
    colour = layout.GOOD if content.verdict_ok else layout.BAD
    c.setFillColor(colors.Color(colour.red, colour.green, colour.blue, alpha=0.08))
    c.setStrokeColor(colour)
    c.roundRect(left, vy, right - left, 16 * mm, 3 * mm, stroke=1, fill=1)
    c.setFillColor(MUTED)
    c.setFont("Helvetica", 9)
    c.drawString(left + 5 * mm, vy + 10.5 * mm, "Verdict")
    c.setFillColor(colour)
    c.setFont("Helvetica-Bold", 18)
    c.drawString(left + 5 * mm, vy + 4 * mm, content.verdict)
    y = vy - 9 * mm
    c.setFillColor(INK)
    c.setFont("Helvetica", 9)
    for line in _signer_lines(content):
        c.drawString(left, y, line)
        y -= 12
    if content.summary:
        y -= 10
        c.setFont("Helvetica-Bold", 9)
        c.drawString(left, y, "What was inspected")
        c.setFont("Helvetica", 9)
        for line in content.summary:
            y -= 12
            c.drawString(left + 3 * mm, y, f"• {line}")
    # bottom block: QR code (right), PDF signature and fine print (left)
    q = 40 * mm
    qx, qy = right - q, m + band + 22 * mm
    renderPDF.draw(qr.drawing(content.qr_text, q), c, qx, qy)
    c.setFont("Helvetica", 6.5)
    c.setFillColor(MUTED)
    c.drawCentredString(qx + q / 2, qy - 5, "Scan to verify")
    hint = Paragraph(content.verify_hint, _S["caption"])
    _w, hh = hint.wrapOn(c, q + 6 * mm, 20 * mm)
    hint.drawOn(c, qx - 3 * mm, qy - 8 - hh)
    sig_w, sig_h = 78 * mm, 20 * mm
    sx, sy = left, qy + q - sig_h - 2 * mm
    c.drawString(sx, sy + sig_h + 4, "Document signature (PAdES)")
    x0, y0 = c.absolutePosition(sx, sy)
    found.append(SignatureArea(1, (x0, y0, x0 + sig_w, y0 + sig_h)))
    fine = Paragraph(
        f"Record SHA-256 {content.record_hash}<br/>Plant seal key {content.seal_key_id[:16]}…<br/>"
        "Any change to this document or to its inspection record is detected: the QR code "
        "(signed by the plant seal) and the PDF signature both bind this exact record.",
        _S["small"],
    )
    _w, fh = fine.wrapOn(c, qx - left - 8 * mm, 30 * mm)
    fine.drawOn(c, left, qy - 8 - fh)


_CARD_FIELDS = ("Article", "Serial", "Metal", "Fineness", "Weight", "Stones", "SKU")


def _card(c: Any, content: CertificateContent, photo: Any, found: list[SignatureArea]) -> None:
    W, H = CARD
    m, band = 1.5 * mm, 2 * mm
    _guilloche(c, m, m, W - 2 * m, H - 2 * m, band, 3)
    inner_l, inner_r = m + band + 1.5 * mm, W - m - band - 1.5 * mm
    _microtext(
        c, inner_l, m + band + 1.4 * mm, inner_r - inner_l, f"{content.plant} {content.number}", 2.2
    )
    left, right, top = m + band + 2.5 * mm, W - m - band - 2.5 * mm, H - m - band - 4.5 * mm
    c.setFillColor(INK)
    c.setFont("Helvetica-Bold", 8)
    c.drawString(left, top, "Certificate of Inspection")
    c.setFont("Helvetica", 5)
    c.setFillColor(MUTED)
    c.drawString(
        left, top - 7, f"{content.plant} · No. {content.number} · {content.issued:%Y-%m-%d}"
    )
    q = 22 * mm
    qx, qy = right - q, m + band + 5 * mm
    renderPDF.draw(qr.drawing(content.qr_text, q), c, qx, qy)
    c.setFont("Helvetica", 4)
    c.drawCentredString(qx + q / 2, qy - 4, "Scan to verify")
    ph = 16 * mm
    used = _photo(c, photo, left, top - 11, ph)
    given = dict(content.description)
    if given.get("Metal") and given.get("Fineness"):
        given["Metal"] = f"{given['Metal']}, {given.pop('Fineness')}"
    fields = [(k, given[k]) for k in _CARD_FIELDS if given.get(k)][:5]
    tx, ty = left + ph + 2 * mm, top - 15
    for label, value in fields:
        c.setFont("Helvetica-Bold", 4.6)
        c.setFillColor(INK)
        c.drawString(tx, ty, label)
        c.setFont("Helvetica", 4.6)
        text = value
        while c.stringWidth(text, "Helvetica", 4.6) > qx - tx - 11 * mm and len(text) > 4:
            text = text[:-2] + "…"
        c.drawString(tx + 10 * mm, ty, text)
        ty -= 6
    colour = layout.GOOD if content.verdict_ok else layout.BAD
    c.setFillColor(colour)
    c.setFont("Helvetica-Bold", 9)
    vy = min(top - 11 - used, ty + 2) - 12
    c.drawString(left, vy, content.verdict)
    c.setFillColor(INK)
    c.setFont("Helvetica", 4.3)
    y = vy - 7
    for line in _signer_lines(content)[-2:]:
        c.drawString(left, y, line[:70])
        y -= 5.5
    x0, y0 = c.absolutePosition(left, qy - 1 * mm)
    found.append(SignatureArea(1, (x0, y0, x0 + 34 * mm, y0 + 6 * mm)))


def build_certificate(
    content: CertificateContent, size: CertificateSize, out: IO[bytes]
) -> SignatureArea:
    """Write the certificate PDF (unsigned) to ``out``; return where the signature goes."""
    page = CARD if size == "card" else layout.page_size(size)
    c = rl_canvas.Canvas(out, pagesize=page)
    c.setTitle(f"Certificate {content.number}")
    c.setAuthor(content.plant)
    c.setSubject(f"record sha256 {content.record_hash}")
    c.setCreator("qcstation")
    found: list[SignatureArea] = []
    photos = [content.photo] if content.photo else []
    with jpeg_files(photos) as jpegs:
        photo = jpegs[0] if jpegs else None
        if size == "card":
            _card(c, content, photo, found)
        else:
            _full(c, content, page, photo, found)
        c.showPage()
        c.save()
    return found[0]
