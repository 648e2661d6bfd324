"""Synthetic microscope scenes with ground truth, for tests, benchmarks and the demo.

- :mod:`.piece`: a solitaire ring head (metal shank, gallery, prongs, round brilliant) with
  injectable defects (:class:`DefectKind`: porosity, scratch, chip, missing prong) whose
  masks, boxes and centres come back as :class:`DefectTruth`.
- :mod:`.micrometer`: a stage micrometer of known pitch (default 0.01 mm divisions), tick
  positions known to a fraction of a pixel.
- :mod:`.optics`: depth-dependent defocus (depth map + focus position -> per-pixel blur),
  lighting (gain, white balance, gradient, vignetting) and sensor noise.
- :mod:`.camera`: :class:`SyntheticCamera`, a camera source over all of the above with
  focus/exposure/gain/white-balance controls and a simulated unplug.

Scenes are drawn in millimetres through a :class:`View` (size, px/mm, shift, rotation), so
the same piece can be seen shifted, rotated or at another resolution with exact truth.
"""

from qcstation.imaging.synthetic.camera import SyntheticCamera, SyntheticConfig
from qcstation.imaging.synthetic.micrometer import MicrometerSpec, render_micrometer_scene
from qcstation.imaging.synthetic.optics import Lighting, Optics, SensorNoise, defocus, to_uint8
from qcstation.imaging.synthetic.piece import DefectSpec, PieceSpec, render_piece_scene
from qcstation.imaging.synthetic.scene import DefectKind, DefectTruth, RenderedScene
from qcstation.imaging.synthetic.view import View

__all__ = [
    "DefectKind",
    "DefectSpec",
    "DefectTruth",
    "Lighting",
    "MicrometerSpec",
    "Optics",
    "PieceSpec",
    "RenderedScene",
    "SensorNoise",
    "SyntheticCamera",
    "SyntheticConfig",
    "View",
    "defocus",
    "render_micrometer_scene",
    "render_piece_scene",
    "to_uint8",
]
