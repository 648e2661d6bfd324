"""What the live preview uses: display buffers, the viewport, the focus bar."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from qcstation.imaging.display import DisplayConverter, Viewport, to_display
from qcstation.imaging.focus import FocusMeter, focus_score, laplacian_variance, tenengrad
from qcstation.imaging.frames import Frame


def test_display_buffer_is_rgb888_and_owned() -> None:
    img = np.zeros((48, 64, 3), np.uint8)
    img[..., 0] = 200  # blue in BGR
    frame = Frame(img, seq=7, timestamp=12.5)
    buf = to_display(frame)
    assert buf.data.flags.c_contiguous and buf.data.shape == (48, 64, 3)
    assert (buf.width, buf.height, buf.bytes_per_line) == (64, 48, 192)
    assert buf.data[0, 0].tolist() == [0, 0, 200]  # now RGB
    assert (buf.seq, buf.timestamp) == (7, 12.5)
    assert not np.shares_memory(buf.data, img)
    small = to_display(frame, max_size=(32, 32))
    assert (small.width, small.height) == (32, 24)
    assert to_display(frame, max_size=(1000, 1000)).width == 64
    bgr = to_display(frame, rgb=False)  # zero-copy, for QImage.Format_BGR888
    assert bgr.format == "BGR888" and bgr.data is img and buf.format == "RGB888"


def test_converter_reuses_only_buffers_nobody_holds() -> None:
    rng = np.random.default_rng(3)
    conv = DisplayConverter()
    frames = [Frame(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8), seq=i) for i in range(6)]
    held = conv.convert(frames[0])
    kept = held.data.copy()
    seen = set()
    for f in frames[1:]:
        buf = conv.convert(f)
        assert np.array_equal(buf.data, f.image[..., ::-1])
        seen.add(id(buf.data))
        del buf
    assert id(held.data) not in seen and np.array_equal(held.data, kept)  # never overwritten
    assert len(seen) == 1  # the rest reused one buffer
    assert conv.convert(frames[1], max_size=(4, 4)).width == 4


def test_viewport_fit_zoom_pan() -> None:
    vp = Viewport.fit((800, 600), (1600, 1200))
    assert vp.zoom == pytest.approx(0.5) and vp.fitted
    assert vp.to_widget((800, 600)) == pytest.approx((400, 300))
    assert vp.target_rect() == pytest.approx((0, 0, 800, 600))
    z = vp.zoom_at(4.0, (100, 100))  # the point under the cursor stays put
    assert z.to_widget(vp.to_image((100, 100))) == pytest.approx((100, 100))
    assert not z.fitted and z.zoom == pytest.approx(2.0)
    one = vp.one_to_one()
    assert one.zoom == 1.0 and one.source_rect() == pytest.approx((400, 300, 800, 600))
    panned = one.pan_by(10_000, 0)  # cannot pan the image off screen
    assert panned.source_rect()[0] == pytest.approx(0)
    assert vp.resized((400, 300)).zoom == pytest.approx(0.25)
    small = Viewport.fit((800, 600), (100, 100)).one_to_one()
    assert small.target_rect() == pytest.approx((350, 250, 100, 100))  # centred
    p = (123.0, 45.0)
    assert z.to_pixel(z.from_pixel(p)) == pytest.approx(p)
    assert vp.with_image((800, 600)).zoom == pytest.approx(1.0)


def test_focus_scores_rank_sharpness() -> None:
    rng = np.random.default_rng(0)
    sharp = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    soft = np.asarray(cv2.GaussianBlur(sharp, (0, 0), 2.0), np.uint8)
    for fn in (laplacian_variance, tenengrad):
        assert fn(sharp) > fn(soft)
    assert focus_score(sharp, roi=(0, 0, 40, 40)) > 0
    with pytest.raises(ValueError):
        focus_score(sharp, method="psychic")
    meter = FocusMeter(half_life=1.0)
    a = meter.update(soft, now=0.0)
    b = meter.update(sharp, now=0.1)
    c = meter.update(soft, now=0.2)
    assert a.level == 1.0 and b.level == 1.0 and 0 < c.level < 0.5
    later = meter.update(soft, now=30.0)  # the held peak decays: the bar rescales
    assert later.level == pytest.approx(1.0)
