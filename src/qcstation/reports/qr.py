"""QR codes: drawn into PDFs with ReportLab's encoder, read back with OpenCV's detector.

``decode_image`` is what the app calls on a camera frame (a numpy BGR or grey image)
when a certificate is held under the microscope or a webcam; ``decode_file`` reads a
scan or a rendered page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing

from qcstation import image_size

QUIET_ZONE = 4  # modules of white around the code, as the standard asks


def drawing(text: str, size: float, level: str = "M") -> Drawing:
    """A square QR code ``size`` points wide (quiet zone included)."""
    widget = QrCodeWidget(text, barLevel=level, barBorder=QUIET_ZONE)
    x0, y0, x1, y1 = widget.getBounds()
    d = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    d.add(widget)
    return d


def modules(text: str, level: str = "M") -> int:
    """How many modules wide the code for ``text`` is (without the quiet zone)."""
    widget = QrCodeWidget(text, barLevel=level, barBorder=0)
    widget.qr.make()
    return int(widget.qr.getModuleCount())


def decode_image(image: NDArray[Any]) -> list[str]:
    """Every QR code text found in an image (BGR, BGRA or grey); [] when none.

    OpenCV's classic detector first, then its ArUco-based one, which copes better with
    busy surroundings (a guilloche border, a bench mat); each on the image as given,
    enlarged, and binarised.
    """
    if image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    detectors = (cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco())
    for candidate in _attempts(image):
        for detector in detectors:
            ok, texts, _points, _codes = detector.detectAndDecodeMulti(candidate)
            found = list(dict.fromkeys(t for t in texts if t)) if ok else []
            if not found:
                text, _pts, _code = detector.detectAndDecode(candidate)
                found = [text] if text else []
            if found:
                return found
    return []


def _attempts(image: NDArray[Any]) -> list[NDArray[Any]]:
    """The image as given, then enlarged (small codes) or reduced (huge scans), binarised."""
    h, w = image.shape[:2]
    out = [image]
    if max(h, w) < 2400:
        out.append(cv2.resize(image, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC))
    else:
        out.append(cv2.resize(image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA))
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    _t, binary = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    out.append(np.ascontiguousarray(binary))
    return out


MAX_FILE_BYTES = 100_000_000
# A 600 dpi scan of an A4 page is 35 million pixels. A few hundred kilobytes of PNG can
# declare a billion, which OpenCV would decode into gigabytes before looking for a code.
MAX_PIXELS = 50_000_000


def decode_file(path: Path) -> list[str]:
    """Every QR code text in an image file; ValueError naming the file when it is not an
    image, or too large a one to decode (its size is read from its header first)."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ValueError(f"{path} is larger than {MAX_FILE_BYTES // 1_000_000} MB")
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    image_size.check(data, str(path), MAX_PIXELS, "a QR scan")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"{path} is not an image OpenCV can read")
    return decode_image(image)
