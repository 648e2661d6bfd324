"""PDF pages as pictures, through PDFium: what the print dialog paints and the verify page
shows. Any PDF, ours or not; signatures are untouched (this only reads)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pypdfium2
from numpy.typing import NDArray

POINTS_PER_INCH = 72.0


class PdfUnreadable(ValueError):
    """Not a PDF PDFium can open; the message says what to do."""


@dataclass(frozen=True)
class PageImage:
    index: int
    rgb: NDArray[np.uint8]  # height x width x 3
    width_pt: float
    height_pt: float


def _open(data: bytes) -> Any:
    try:
        return pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        raise PdfUnreadable(
            f"this PDF cannot be read ({exc}): get the complete file again"
        ) from None


def page_sizes(data: bytes) -> list[tuple[float, float]]:
    """Each page's width and height in points."""
    pdf = _open(data)
    try:
        return [tuple(pdf[i].get_size()) for i in range(len(pdf))]
    finally:
        pdf.close()


def render_pages(data: bytes, dpi: float) -> Iterator[PageImage]:
    """One page at a time, so a long report is never held decoded all at once."""
    pdf = _open(data)
    try:
        for i in range(len(pdf)):
            page = pdf[i]
            width, height = page.get_size()
            bitmap = page.render(scale=dpi / POINTS_PER_INCH, rev_byteorder=True)
            rgb = np.ascontiguousarray(bitmap.to_numpy()[:, :, :3])
            bitmap.close()
            page.close()
            yield PageImage(i, rgb, width, height)
    finally:
        pdf.close()
