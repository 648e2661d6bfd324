"""Errors of the imaging core that a person can act on.

Every message says what happened and what to do, so the UI can show ``str(error)`` as it
is. Anything else raised from ``qcstation.imaging`` is a bug.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qcstation.imaging.source import Mode


class ImagingError(RuntimeError):
    """A camera, image or measurement problem a person can act on."""


class CameraNotFound(ImagingError):
    """The camera could not be opened (not connected, in use by another program, no driver)."""


class CameraDisconnected(ImagingError):
    """The camera stopped delivering frames (unplugged, cable, power, driver reset)."""


class EndOfStream(ImagingError):
    """A video file or image folder has no more frames (and is not looping)."""


class ModeNotSupported(ImagingError):
    """The requested resolution / frame rate is not one the camera offers."""

    def __init__(self, message: str, requested: Mode, available: Sequence[Mode], nearest: Mode):
        super().__init__(message)
        self.requested = requested
        self.available = tuple(available)
        self.nearest = nearest


class ImageReadError(ImagingError):
    """A file is missing, unreadable or not an image (or video) OpenCV can decode."""


class CalibrationError(ImagingError):
    """A calibration could not be made (no ticks found, points too close, bad input)."""


class AlignmentError(ImagingError):
    """Two images could not be aligned (too different, too little texture)."""


class AnnotationFormatError(ImagingError):
    """A stored annotation layer is not valid; the message names the field."""
