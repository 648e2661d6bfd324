"""Shared pieces of the layouts: styles, "Page x of y", photos, the signature spot."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle, StyleSheet1, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from reportlab.platypus import Flowable, Paragraph

from qcstation.reports.model import Paper, SignatureArea
from qcstation.reports.photos import JpegPhoto

PAGE_SIZES = {"a4": A4, "letter": LETTER}
INK = colors.HexColor("#1F2933")
MUTED = colors.HexColor("#616E7C")
RULE = colors.HexColor("#CBD2D9")
SHADE = colors.HexColor("#F0F4F8")
GOOD = colors.HexColor("#1E7B34")
BAD = colors.HexColor("#B42318")
WARN = colors.HexColor("#B54708")


def page_size(paper: Paper) -> tuple[float, float]:
    return PAGE_SIZES[paper]


def verdict_colour(code: str) -> Any:
    return {"pass": GOOD, "fail": BAD}.get(code, WARN)


def styles() -> StyleSheet1:
    base = getSampleStyleSheet()
    sheet = StyleSheet1()
    body = ParagraphStyle("body", parent=base["Normal"], fontSize=8.5, leading=10.5, textColor=INK)
    sheet.add(body)
    sheet.add(ParagraphStyle("small", parent=body, fontSize=7, leading=8.5, textColor=MUTED))
    sheet.add(ParagraphStyle("cell", parent=body, fontSize=7.5, leading=9))
    sheet.add(
        ParagraphStyle("cellb", parent=body, fontSize=7.5, leading=9, fontName="Helvetica-Bold")
    )
    sheet.add(
        ParagraphStyle("title", parent=body, fontSize=17, leading=21, fontName="Helvetica-Bold")
    )
    sheet.add(
        ParagraphStyle(
            "h2",
            parent=body,
            fontSize=11,
            leading=14,
            fontName="Helvetica-Bold",
            spaceBefore=8,
            spaceAfter=4,
        )
    )
    sheet.add(
        ParagraphStyle(
            "h3",
            parent=body,
            fontSize=9,
            leading=11,
            fontName="Helvetica-Bold",
            spaceBefore=5,
            spaceAfter=2,
            textColor=MUTED,
        )
    )
    sheet.add(ParagraphStyle("caption", parent=body, fontSize=6.5, leading=8, textColor=MUTED))
    sheet.add(ParagraphStyle("centre", parent=body, alignment=TA_CENTER))
    return sheet


def para(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (escaped: user input never becomes markup)."""
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


class NumberedCanvas(canvas.Canvas):
    """Holds pages back until the end, so each can say "Page x of y" in one pass."""

    footer: Any = None  # callable(canvas, page, pages), set by the layout

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held: list[dict[str, Any]] = []

    @property
    def current_page(self) -> int:
        return len(self._held) + 1

    def showPage(self) -> None:
        self._held.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        pages = len(self._held)
        for state in self._held:
            self.__dict__.update(state)
            if self.footer is not None:
                self.footer(self, self._pageNumber, pages)
            super().showPage()
        self._held = []
        super().save()


class PhotoBox(Flowable):
    """One evidence photo fitted into a box, with its overlay (if any) drawn on top."""

    def __init__(self, photo: JpegPhoto, max_width: float, max_height: float):
        super().__init__()
        scale = min(max_width / photo.width, max_height / photo.height)
        self.photo = photo
        self.width, self.height = photo.width * scale, photo.height * scale

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        c = self.canv
        c.drawImage(str(self.photo.path), 0, 0, self.width, self.height)
        c.setStrokeColor(RULE)
        c.setLineWidth(0.5)
        c.rect(0, 0, self.width, self.height)
        if self.photo.photo.overlay is not None:
            self.photo.photo.overlay.draw(c, 0, 0, self.width, self.height)


class SignatureSpot(Flowable):
    """Room for the visible PDF signature; remembers where it landed for the signer."""

    def __init__(self, width: float, height: float, label: str, found: list[SignatureArea]):
        super().__init__()
        self.width, self.height, self.label, self.found = width, height, label, found

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height + 4 * mm

    def draw(self) -> None:
        c = self.canv
        c.setFont("Helvetica", 6.5)
        c.setFillColor(MUTED)
        c.drawString(0, self.height + 1.5 * mm, self.label)
        x0, y0 = c.absolutePosition(0, 0)
        page = c.current_page if isinstance(c, NumberedCanvas) else c.getPageNumber()
        self.found.append(SignatureArea(page, (x0, y0, x0 + self.width, y0 + self.height)))
