"""How many pixels an encoded image declares, read from its header before anything decodes
it: a few hundred kilobytes of PNG can declare a billion pixels, which OpenCV would turn
into gigabytes before anyone looked at them. Every place that decodes an image file from
outside (a QR scan, an evidence file) asks here first."""

from __future__ import annotations

import io
import warnings


class TooLarge(ValueError):
    """An image that declares more pixels than its use allows, or is no image at all."""


def check(data: bytes, name: str, max_pixels: int, use: str) -> tuple[int, int]:
    """Width and height the header of ``data`` declares; TooLarge naming ``name`` when they
    are more than ``max_pixels`` (``use`` says what the image is for), or when the bytes are
    not an image Pillow can identify."""
    from PIL import Image, UnidentifiedImageError

    limit = f"the {max_pixels // 1_000_000} million pixels {use} needs"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                width, height = im.size
    except Image.DecompressionBombError:  # Pillow's own bound, ~180 million pixels
        raise TooLarge(f"{name} declares far more than {limit}: scan or crop it smaller") from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise TooLarge(
            f"{name} is not an image that can be read (damaged, truncated or an unsupported "
            "format); use PNG, JPEG, TIFF or BMP"
        ) from None
    if width * height > max_pixels:
        raise TooLarge(
            f"{name} is {width}x{height} pixels, more than {limit}: scan or crop it smaller"
        )
    return width, height
