"""The customer certificate: A4/Letter, or a wallet card (ID-1, 85.6 x 54 mm, two sides).

Every text is wrapped and shrunk to its box, never cut: a claim that does not fit even at
the smallest legible size raises LayoutOverflow rather than printing half of it.

Security features a copier or an editor cannot carry over unnoticed: a guilloche border,
micro-printed certificate numbers along it, the record's SHA-256, the PDF signature, and
the QR code whose payload is signed by the plant seal (it verifies offline).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import IO, Any
from xml.sax.saxutils import escape

from reportlab.graphics import renderPDF
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import Paragraph, Table, TableStyle

from qcstation.reports import layout, qr
from qcstation.reports.layout import INK, MUTED, RULE
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


class LayoutOverflow(ValueError):
    """The certificate's text does not fit its paper even at the smallest legible size."""


def _microtext(c: Any, x: float, y: float, w: float, text: str, size: float) -> None:
    """A line of micro-printing: whole repeats of the text only (nothing printed is cut)."""
    c.saveState()
    c.setFont("Helvetica", size)
    c.setFillColor(MUTED)
    unit = text + " · "
    while c.stringWidth(unit, "Helvetica", size) > w and size > 1.2:
        size -= 0.2
        c.setFont("Helvetica", size)
    n = max(1, int(w / c.stringWidth(unit, "Helvetica", size)))
    line = (unit * n).rstrip(" ·")
    c.drawString(x, y, line)
    c.restoreState()


def _style(name: str, size: float, **kw: Any) -> ParagraphStyle:
    base = _S[name]
    return ParagraphStyle(
        f"{name}-{size:.2f}", parent=base, fontSize=size, leading=size * 1.22, **kw
    )


def fitted(
    text: str,
    width: float,
    height: float,
    size: float,
    smallest: float,
    style: str = "body",
    markup: bool = False,
    **kw: Any,
) -> tuple[Paragraph, float]:
    """A paragraph that fits the box, wrapped and shrunk (never cut): (paragraph, height).
    LayoutOverflow when even the smallest size does not fit."""
    source = text if markup else escape(text).replace("\n", "<br/>")
    while True:
        p = Paragraph(source, _style(style, size, **kw))
        _w, h = p.wrap(width, height)
        if h <= height + 0.01 and p.minWidth() <= width + 0.01:
            return p, float(h)
        if size <= smallest:
            raise LayoutOverflow(
                f"{text[:40]!r}… does not fit in {width / mm:.0f} x {height / mm:.0f} mm"
            )
        size = max(smallest, size - 0.25)


def _draw(p: Paragraph, c: Any, x: float, top: float, width: float) -> float:
    _w, h = p.wrap(width, 10_000)
    p.drawOn(c, x, top - h)
    return float(h)


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


def _claims_table(rows: Any, width: float, size: float, label_width: float) -> Table:
    cells = [
        [
            Paragraph(escape(k), _style("cellb", size)),
            Paragraph(escape(v), _style("body", size)),
        ]
        for k, v in rows
    ]
    t = Table(cells, colWidths=[label_width, width - label_width])
    pad = max(1.0, size / 4)
    t.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), pad),
                ("RIGHTPADDING", (0, 0), (-1, -1), pad),
                ("TOPPADDING", (0, 0), (-1, -1), pad * 0.6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), pad * 0.8),
            ]
        )
    )
    return t


def _table_fits(t: Table, width: float, height: float) -> tuple[bool, float]:
    w, h = t.wrap(width, height)
    return w <= width + 0.01 and h <= height + 0.01, float(h)


@dataclass(frozen=True)
class _FullPlan:
    scale: float
    plant: Paragraph
    subtitle: Paragraph
    table: Table
    photo_box: float
    verdict_size: float
    signers: Paragraph
    summary: Paragraph | None


def _plan_full(content: CertificateContent, left: float, right: float, room: float) -> _FullPlan:
    """The largest scale at which the flowing part fits the room above the bottom block."""
    width = right - left
    for scale in (1.0, 0.92, 0.84, 0.76, 0.68, 0.6):
        try:
            box = 80 * mm * scale
            tx_w = width - box - 8 * mm
            body = 8.5 * scale
            t = _claims_table(content.description, tx_w, body, 26 * mm)
            fits, th = _table_fits(t, tx_w, 10_000)
            verdict_size = 18.0
            while stringWidth(content.verdict, "Helvetica-Bold", verdict_size) > width - 10 * mm:
                verdict_size -= 0.5
            signers, sh = fitted(
                "<br/>".join(escape(x) for x in _signer_lines(content)),
                width,
                60 * mm,
                9 * scale,
                5,
                markup=True,
            )
            summary = None
            mh = 0.0
            if content.summary:
                text = "<b>What was inspected</b><br/>" + "<br/>".join(
                    "• " + escape(x) for x in content.summary
                )
                summary, mh = fitted(text, width, 60 * mm, 9 * scale, 5, markup=True)
            used = max(box, th) + 8 * mm + 16 * mm + 7 * mm + sh + 5 * mm + mh
            if fits and used <= room:
                plant, _ph = fitted(content.plant.upper(), width * 0.55, 24, 9, 5, "caption")
                subtitle, _h = fitted(content.title, width, 30, 10, 6.5, "caption")
                return _FullPlan(scale, plant, subtitle, t, box, verdict_size, signers, summary)
        except LayoutOverflow:
            continue
    raise LayoutOverflow(
        "the certificate's claims do not fit an A4 or letter page even at the smallest "
        "size: shorten the SKU's description"
    )


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
    width = right - left
    # the bottom block: QR code (right), PDF signature and fine print (left)
    q = 50 * mm  # the claims make the payload long: room keeps each module readable
    qx, qy = right - q, m + band + 22 * mm
    head_h = 62.0  # plant and number lines, the title, the subtitle
    plan = _plan_full(content, left, right, top - head_h - (qy + q + 6 * mm))
    # header: the number on the right, the plant's name in the room left of it
    c.setFillColor(MUTED)
    c.setFont("Helvetica", 9)
    c.drawRightString(right, top, f"Certificate No. {content.number}")
    c.drawRightString(right, top - 12, f"Issued {content.issued:%d %B %Y}")
    number_w = stringWidth(f"Certificate No. {content.number}", "Helvetica", 9) + 6 * mm
    plant, _h = fitted(content.plant.upper(), width - number_w, 24, 9, 5, "caption")
    _draw(plant, c, left, top + 7, width - number_w)
    c.setFillColor(INK)
    c.setFont("Helvetica-Bold", 22)
    c.drawString(left, top - 34, "Certificate of Inspection")
    sub_h = _draw(plan.subtitle, c, left, top - 42, width)
    box_top = top - 42 - max(sub_h, 12) - 6
    used = _photo(c, photo, left, box_top, plan.photo_box)
    tx = left + plan.photo_box + 8 * mm
    _w, th = plan.table.wrapOn(c, right - tx, 10_000)
    plan.table.drawOn(c, tx, box_top - th)
    vy = box_top - max(used, th) - 8 * mm - 16 * mm
    colour = layout.GOOD if content.verdict_ok else layout.BAD
    c.setFillColor(colors.Color(colour.red, colour.green, colour.blue, alpha=0.08))
    c.setStrokeColor(colour)
    c.roundRect(left, vy, width, 16 * mm, 3 * mm, stroke=1, fill=1)
    c.setFillColor(MUTED)
    c.setFont("Helvetica", 9)
    c.drawString(left + 5 * mm, vy + 10.5 * mm, "Verdict")
    c.setFillColor(colour)
    c.setFont("Helvetica-Bold", plan.verdict_size)
    c.drawString(left + 5 * mm, vy + 4 * mm, content.verdict)
    y = vy - 7 * mm
    y -= _draw(plan.signers, c, left, y, width)
    if plan.summary is not None:
        y -= 5 * mm
        _draw(plan.summary, c, left, y, width)
    renderPDF.draw(qr.drawing(content.qr_text, q), c, qx, qy)
    c.setFont("Helvetica", 6.5)
    c.setFillColor(MUTED)
    c.drawCentredString(qx + q / 2, qy - 5, "Scan to verify")
    hint, hh = fitted(content.verify_hint, q + 6 * mm, 20 * mm, 6.5, 4, "caption", markup=True)
    hint.drawOn(c, qx - 3 * mm, qy - 8 - hh)
    sig_w, sig_h = 78 * mm, 20 * mm
    sx, sy = left, qy + q - sig_h - 2 * mm
    c.drawString(sx, sy + sig_h + 4, "Document signature (PAdES)")
    x0, y0 = c.absolutePosition(sx, sy)
    found.append(SignatureArea(1, (x0, y0, x0 + sig_w, y0 + sig_h)))
    issued_by = f"Issued by {escape(content.issued_by)}<br/>" if content.issued_by else ""
    fine, fh = fitted(
        f"{issued_by}Record SHA-256 {content.record_hash}<br/>Plant seal key "
        f"{content.seal_key_id[:16]}<br/>The QR code (sealed by the plant) carries the "
        "verdict and every claim above; the PDF signature (the plant's document key) "
        "binds this document to its inspection record. A change to either is detected.",
        qx - left - 8 * mm,
        sy - (m + band + 6) - 4,
        7,
        4,
        "small",
        markup=True,
    )
    fine.drawOn(c, left, sy - 4 - fh)


def _card(c: Any, content: CertificateContent, photo: Any, found: list[SignatureArea]) -> None:
    """Two sides of a wallet card: the front with the verdict and the QR code, the back
    with every claim, who signed, and the PDF signature."""
    W, H = CARD
    m, band = 1.5 * mm, 2 * mm
    left, right, top = m + band + 2.5 * mm, W - m - band - 2.5 * mm, H - m - band - 3 * mm
    bottom = m + band + 3.2 * mm
    width = right - left
    _card_frame(c, content)
    q = 30 * mm  # a version 2 payload (the claims) needs the room to stay readable
    qx, qy = right - q, bottom + 1.5 * mm
    text_w = qx - left - 2 * mm
    heading, _hh = fitted("Certificate of Inspection", width, 12, 8, 5, "cellb")
    y = top - _draw(heading, c, left, top + 2, width) + 2
    line = f"{content.plant} · No. {content.number} · {content.issued:%Y-%m-%d}"
    sub, _sh = fitted(line, width, 14, 5, 3.2, "caption")
    y -= _draw(sub, c, left, y, width) + 1.5
    renderPDF.draw(qr.drawing(content.qr_text, q), c, qx, qy)
    c.setFont("Helvetica", 4)
    c.setFillColor(MUTED)
    c.drawCentredString(qx + q / 2, qy - 3.6, "Scan to verify")
    ph = 16 * mm
    used = _photo(c, photo, left, y, ph)
    tx = left + ph + 2 * mm
    title, th = fitted(content.title, qx - tx - 2 * mm, used, 6, 3.5, "body")
    _draw(title, c, tx, y, qx - tx - 2 * mm)
    y -= max(used, th) + 2 * mm
    colour = layout.GOOD if content.verdict_ok else layout.BAD
    verdict, _vh = fitted(content.verdict, text_w, 14, 9, 5, "cellb", textColor=colour)
    y -= _draw(verdict, c, left, y, text_w) + 1
    note, _nh = fitted(
        "What the plant certifies about this piece, and who signed, is on the back.",
        text_w,
        max(y - bottom, 6),
        4.2,
        3,
        "caption",
    )
    _draw(note, c, left, y, text_w)
    c.showPage()
    # the back
    _card_frame(c, content)
    y = top + 2
    head, _hh = fitted(
        f"Certificate No. {content.number}: what the plant certifies", width, 12, 6, 3.5, "cellb"
    )
    y -= _draw(head, c, left, y, width) + 1
    sig_h = 6 * mm
    fine_room = bottom + sig_h + 1.5 * mm
    for size in (5.0, 4.6, 4.2, 3.9, 3.6, 3.3, 3.0):
        t = _claims_table(content.description, width, size, 16 * mm)
        fits, t_h = _table_fits(t, width, 10_000)
        try:
            signers, s_h = fitted(
                "<br/>".join(escape(x) for x in _signer_lines(content)),
                width,
                20 * mm,
                size,
                3.0,
                "caption",
                markup=True,
            )
        except LayoutOverflow:
            continue
        if fits and y - t_h - 1 - s_h >= fine_room:
            break
    else:
        raise LayoutOverflow(
            "the certificate's claims do not fit on a card even at the smallest size: "
            "print it on A4 or letter"
        )
    t.drawOn(c, left, y - t_h)
    y -= t_h + 1
    _draw(signers, c, left, y, width)
    x0, y0 = c.absolutePosition(left, bottom)
    found.append(SignatureArea(2, (x0, y0, x0 + 34 * mm, y0 + sig_h)))
    fine, fh = fitted(
        f"Record SHA-256 {content.record_hash}",
        right - left - 36 * mm,
        sig_h,
        3,
        2.4,
        "small",
    )
    fine.drawOn(c, left + 36 * mm, bottom + sig_h - fh)


def _card_frame(c: Any, content: CertificateContent) -> None:
    W, H = CARD
    m, band = 1.5 * mm, 2 * mm
    _guilloche(c, m, m, W - 2 * m, H - 2 * m, band, 3)
    inner_l, inner_r = m + band + 1.5 * mm, W - m - band - 1.5 * mm
    _microtext(
        c, inner_l, m + band + 1.4 * mm, inner_r - inner_l, f"{content.plant} {content.number}", 2.2
    )


def build_certificate(
    content: CertificateContent, size: CertificateSize, out: IO[bytes]
) -> SignatureArea:
    """Write the certificate PDF (unsigned) to ``out``; return where the signature goes.
    LayoutOverflow when its text cannot fit the paper (nothing printed is ever cut)."""
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
        try:
            if size == "card":
                _card(c, content, photo, found)
            else:
                _full(c, content, page, photo, found)
        except LayoutOverflow as exc:
            other = "print it on A4 or letter" if size == "card" else "shorten the text"
            raise LayoutOverflow(f"{exc}: it does not fit a {size} certificate; {other}") from None
        c.showPage()
        c.save()
    return found[0]
