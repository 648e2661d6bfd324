"""The microscope imaging core: cameras, frames, focus, stacking, calibration, measuring,
comparing. Plain Python + numpy + OpenCV; no Qt and no database (the UI paints, services
store). Importing this package imports nothing; import the module you need.

Sources (all follow ``source.CameraSource``: open / read -> Frame / close / capabilities /
set_mode / set_control; errors in ``errors`` say what to do)
- ``opencv_camera``: ``OpenCVCamera`` (USB microscope; MJPG, probed modes and controls),
  ``list_devices()``
- ``files``: ``VideoFileSource``, ``ImageFolderSource``
- ``synthetic``: ``SyntheticCamera`` (rendered piece or stage micrometer with ground truth,
  focus, simulated unplug), scenes, optics, golden-sample photographs
- ``source``: ``Mode``, ``Control``, ``ControlResult``, ``Capabilities``, ``CameraSettings``

Live preview
- ``grabber``: ``FrameGrabber`` (capture thread, newest frame only, stats, lost-camera
  events within ~1 s, reconnection with backoff)
- ``display``: ``DisplayConverter().convert(frame) -> DisplayBuffer`` (RGB888 for a QImage,
  reused buffers; ``to_display`` for one-offs, ``rgb=False`` for zero-copy BGR888), ``Viewport``
  (fit / zoom / pan / 1:1 and widget <-> image points)
- ``focus``: ``focus_score``, ``FocusMeter`` (0-1 focus bar)

Evidence and analysis
- ``capture``: ``prepare_evidence(frame, caps, calibration) -> Evidence`` (PNG + meta)
- ``stacking``: ``focus_stack(frames) -> StackResult``
- ``calibration``: ``Calibration``, ``from_two_points``, ``from_pitch``, ``check``
- ``ticks``: ``detect_ticks(image) -> TickDetection`` (stage micrometer, automatic)
- ``measure``: ``Length``, ``Polyline``, ``Angle``, ``CircleDiameter``, ``measure``
- ``annotations``: ``AnnotationLayer`` and its items (JSON beside the original)
- ``export``: ``burn_in(image, layer)`` -> an annotated copy with a scale bar
- ``compare``: ``compare_to_golden(piece, golden) -> Comparison``
- ``metrics``: ``ssim``, ``psnr``; ``frames``: ``Frame``, ``read_image``, ``encode_png``
"""
