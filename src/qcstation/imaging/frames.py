"""Frames and images: what every camera source hands out, and reading/writing image files.

A :class:`Frame` is one picture from a source: an ``(H, W, 3)`` ``uint8`` BGR array (OpenCV
order) that the frame owns (a source never reuses the buffer), the ``time.monotonic()``
moment its pixels arrived, the wall-clock time, and a sequence number that grows by one per
frame the source delivered (a gap means the grabber dropped frames nobody displayed).

Images are always BGR ``uint8`` here; :func:`as_bgr` turns grey or BGRA input into that.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from qcstation import image_size
from qcstation.imaging.errors import ImageReadError

Image = NDArray[np.uint8]
"""An ``(H, W, 3)`` BGR uint8 image (or ``(H, W)`` grey where a function says so)."""

FloatImage = NDArray[np.float32]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")


@dataclass(frozen=True, eq=False)
class Frame:
    image: Image
    seq: int
    timestamp: float = field(default_factory=time.monotonic)
    wall_time: float = field(default_factory=time.time)
    source_id: str = ""

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


def as_bgr(img: NDArray[Any]) -> Image:
    """A BGR uint8 copy-free view where possible (grey and BGRA are converted)."""
    if img.dtype != np.uint8:
        raise ValueError(f"expected an 8-bit image, got {img.dtype}")
    img = np.asarray(img, np.uint8)
    if img.ndim == 2:
        return np.asarray(cv2.cvtColor(img, cv2.COLOR_GRAY2BGR), np.uint8)
    if img.ndim == 3 and img.shape[2] == 4:
        return np.asarray(cv2.cvtColor(img, cv2.COLOR_BGRA2BGR), np.uint8)
    if img.ndim == 3 and img.shape[2] == 3:
        return np.asarray(img, np.uint8)
    raise ValueError(f"expected a grey, BGR or BGRA image, got shape {img.shape}")


def to_gray(img: Image) -> Image:
    """Grey uint8 from BGR (returned as is when already grey)."""
    if img.ndim == 2:
        return img
    return np.asarray(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), np.uint8)


_NO_MASK: Any = None  # findTransformECC's mask is optional; OpenCV's type hints want an array


def ecc_warp(
    template: FloatImage, image: FloatImage, warp: Any, motion: int, criteria: Any
) -> NDArray[np.float32]:
    """OpenCV's ECC refinement (no mask, Gaussian pre-filter of 5): the 2x3 warp from
    template to image coordinates, starting from ``warp``. Raises cv2.error when it fails."""
    _cc, found = cv2.findTransformECC(template, image, warp, motion, criteria, _NO_MASK, 5)
    return np.asarray(found, np.float32)


def read_image(path: Path | str) -> Image:
    """Read an image file as BGR, or raise :class:`ImageReadError` naming the file.

    Reads the bytes with Python (so non-ASCII paths work on Windows) and decodes them with
    OpenCV; a missing file, a folder, an empty or truncated file and a non-image all give a
    clear message.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise ImageReadError(f"image file {p} does not exist; check the path") from None
    except IsADirectoryError:
        raise ImageReadError(f"{p} is a folder, not an image file") from None
    except OSError as exc:
        raise ImageReadError(
            f"could not read image file {p}: {exc.strerror or exc}; check its permissions"
        ) from exc
    return decode_image(data, str(p))


# A 20-megapixel microscope camera, stacked or stitched several times over; beyond this a
# file is a decompression bomb, not a photo of a piece (see image_size).
MAX_PIXELS = 100_000_000


def decode_image(data: bytes, name: str = "image") -> Image:
    """Decode encoded image bytes (PNG, JPEG, TIFF, ...) to BGR, or raise ImageReadError."""
    if not data:
        raise ImageReadError(f"{name} is empty (0 bytes); capture or copy it again")
    try:
        image_size.check(data, name, MAX_PIXELS, "an inspection image")
    except image_size.TooLarge as exc:
        raise ImageReadError(str(exc)) from None
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ImageReadError(
            f"{name} is not an image that can be read (damaged, truncated or an unsupported "
            "format); use PNG, JPEG, TIFF or BMP"
        )
    if img.dtype == np.uint16:  # 16-bit TIFF/PNG from some cameras: keep the top 8 bits
        img = (np.asarray(img, np.uint16) >> 8).astype(np.uint8)
    return as_bgr(img)


def encode_png(img: Image, compression: int = 1) -> bytes:
    """Lossless PNG bytes (compression 0-9; 1 is fastest and what evidence capture uses)."""
    ok, buf = cv2.imencode(".png", img, [cv2.IMWRITE_PNG_COMPRESSION, int(compression)])
    if not ok:
        raise ValueError("could not encode the image as PNG")
    return bytes(buf)


def encode_jpeg(img: Image, quality: int = 92) -> bytes:
    """Lossy JPEG bytes, for thumbnails and previews only (never for evidence)."""
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError("could not encode the image as JPEG")
    return bytes(buf)


def thumbnail(img: Image, max_side: int = 256) -> Image:
    """A downscaled copy whose longer side is at most ``max_side`` (area interpolation)."""
    h, w = img.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale >= 1.0:
        return np.array(img, np.uint8, copy=True)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(cv2.resize(img, size, interpolation=cv2.INTER_AREA), np.uint8)
