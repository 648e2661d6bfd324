"""Printing a signed PDF: Qt's print preview and print dialog, painting the PDF's own pages.

What is printed is the exported, signed document itself (rendered by PDFium), never a
second layout that could differ from it. Each printed page keeps the PDF page's size and
orientation (a certificate card prints as a card) and is scaled to the printable area.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSizeF
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QWidget

from qcstation.reports.raster import page_sizes, render_pages

MAX_DPI = 300  # enough for text and photos; a 1200-dpi printer would only cost memory


def setup_printer(printer: QPrinter, data: bytes, title: str) -> None:
    """Page size and orientation from the PDF's first page; the document's name."""
    printer.setDocName(title)
    sizes = page_sizes(data)
    if sizes:
        width, height = sizes[0]
        size = QPageSize(QSizeF(min(width, height), max(width, height)), QPageSize.Unit.Point)
        orientation = (
            QPageLayout.Orientation.Landscape
            if width > height
            else QPageLayout.Orientation.Portrait
        )
        printer.setPageSize(size)
        printer.setPageOrientation(orientation)


def paint_pdf(printer: QPrinter, data: bytes) -> int:
    """Paint every page of the PDF onto the printer; the number of pages painted."""
    dpi = min(printer.resolution(), MAX_DPI)
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError("the printer could not be opened: check it is connected and ready")
    painted = 0
    try:
        for page in render_pages(data, dpi):
            if page.index:
                printer.newPage()
            height, width = page.rgb.shape[:2]
            image = QImage(page.rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888)
            area = QRectF(printer.pageLayout().paintRectPixels(printer.resolution()))
            area.moveTo(0, 0)
            scale = min(area.width() / width, area.height() / height)
            target = QRectF(0, 0, width * scale, height * scale)
            target.moveCenter(area.center())
            painter.drawImage(target, image)
            painted += 1
    finally:
        painter.end()
    return painted


def _printer(data: bytes, title: str) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    setup_printer(printer, data, title)
    return printer


def preview(parent: QWidget | None, data: bytes, title: str) -> QPrintPreviewDialog:
    """The print preview (with its print button) for a PDF; opened, not run modally."""
    printer = _printer(data, title)
    dialog = QPrintPreviewDialog(printer, parent)
    dialog.setObjectName("print-preview")
    dialog.setWindowTitle(title)
    dialog.paintRequested.connect(lambda p: paint_pdf(p, data))
    dialog.kept_printer = printer  # type: ignore[attr-defined]  # lives as long as the dialog
    dialog.open()
    return dialog
