"""Evidence photos as JPEG files ReportLab embeds as they are (DCTDecode, never decoded).

JPEG evidence is linked under a ``.jpg`` name (ReportLab recognises JPEGs by their
extension); PNG and other evidence is converted on the fly, one image decoded at a
time, into temporary JPEG files. Nothing holds all photos decoded at once: a report
with 40 photos costs the memory of one decoded photo plus the compressed JPEG bytes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from qcstation import image_size
from qcstation.reports.model import Photo

JPEG_QUALITY = 90
MAX_EDGE = 2000  # pixels: enough for 300 dpi at the largest size a report prints a photo
MAX_PIXELS = 100_000_000  # beyond this an evidence file is a decompression bomb, not a photo


class PhotoError(RuntimeError):
    """An evidence file that cannot be put in a report; the message names it."""


@dataclass(frozen=True)
class JpegPhoto:
    photo: Photo
    path: Path
    width: int
    height: int


def _jpeg_size(path: Path) -> tuple[int, int] | None:
    from reportlab.pdfbase.pdfutils import readJPEGInfo

    try:
        with path.open("rb") as fh:
            width, height = readJPEGInfo(fh)[:2]
    except Exception:  # not a JPEG ReportLab can embed as is (e.g. progressive, CMYK)
        return None
    return int(width), int(height)


def _link(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        try:
            os.symlink(src, dst)
        except OSError:
            shutil.copyfile(src, dst)


def _convert(src: Path, dst: Path) -> tuple[int, int]:
    try:
        data = src.read_bytes()
        image_size.check(data, f"evidence file {src}", MAX_PIXELS, "a photo in a report")
    except image_size.TooLarge as exc:
        raise PhotoError(str(exc)) from None
    except OSError as exc:
        raise PhotoError(f"cannot read evidence file {src}: {exc.strerror or exc}") from None
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise PhotoError(f"evidence file {src} is not an image OpenCV can read")
    h, w = img.shape[:2]
    scale = MAX_EDGE / max(h, w)
    if scale < 1:
        img = cv2.resize(img, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        h, w = img.shape[:2]
    if not cv2.imwrite(str(dst), img, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]):
        raise PhotoError(f"could not write a JPEG rendition of {src} to {dst.parent}")
    return w, h


@contextmanager
def jpeg_files(photos: Sequence[Photo]) -> Iterator[list[JpegPhoto]]:
    """JPEG files for the photos, in a temporary folder removed afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="qcstation-photos-"))
    try:
        out = []
        for n, photo in enumerate(photos):
            if not photo.path.is_file():
                raise PhotoError(f"evidence file {photo.path} is missing")
            dst = tmp / f"{n:04d}-{photo.sha256[:16]}.jpg"
            size = _jpeg_size(photo.path) if photo.media_type == "image/jpeg" else None
            if size is not None:
                _link(photo.path, dst)
            else:
                size = _convert(photo.path, dst)
            out.append(JpegPhoto(photo, dst, *size))
        yield out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
