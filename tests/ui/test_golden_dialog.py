"""The golden-sample comparison on screen: opened from the measuring editor, regions listed
and boxed where the injected defect is, the three views."""

from __future__ import annotations

import numpy as np
from pytestqt.qtbot import QtBot

from qcstation.domain.stages import Stage
from qcstation.imaging.scenes import encode_png
from qcstation.imaging.synthetic import DefectKind, PieceSpec
from qcstation.imaging.synthetic.samples import photograph
from qcstation.services import accounts, annotation_layers, inspections
from qcstation.ui.context import UiContext
from qcstation.ui.main_window import MainWindow
from qcstation.ui.pages.golden_dialog import GoldenDialog
from qcstation.ui.pages.measure_dialog import MeasureDialog

from .conftest import PASSWORDS, WAIT_MS

W, H = 480, 360


def image_of(ctx: UiContext, img: np.ndarray, serial: str) -> int:
    ins = inspections.start(ctx.station, ctx.actor, Stage.STONE_SETTING, "JT-4", "RG-1", serial)
    return inspections.attach_evidence(
        ctx.station, ctx.actor, ins.id, encode_png(img), "image/png"
    ).id


def editor(qtbot: QtBot, win: MainWindow, ctx: UiContext, eid: int) -> MeasureDialog:
    d = MeasureDialog(ctx, annotation_layers.open_image(ctx.station, eid), None, win)
    d.open()
    qtbot.waitExposed(d)
    return d


def test_set_golden_then_compare_a_piece_with_a_missing_prong(
    qtbot: QtBot, window: tuple[MainWindow, UiContext]
) -> None:
    win, ctx = window
    ctx.user = accounts.login(ctx.station, "sam", PASSWORDS["sam"])
    sku = PieceSpec.random(78)
    good, _ = photograph(sku, W, H)
    d = editor(qtbot, win, ctx, image_of(ctx, good, "GOLD"))
    assert d.make_golden.isVisibleTo(d)
    d.set_golden()
    qtbot.waitUntil(lambda: "golden sample of RG-1" in d.status.text(), timeout=WAIT_MS)
    d.close()
    rng = np.random.default_rng(2)
    bad, scene = photograph(
        sku.with_defects(sku.random_defect(DefectKind.MISSING_PRONG, rng)), W, H, rng
    )
    ctx.user = accounts.login(ctx.station, "ines", PASSWORDS["ines"])
    d = editor(qtbot, win, ctx, image_of(ctx, bad, "SN-1"))
    assert not d.make_golden.isVisibleTo(d)  # inspectors compare, supervisors set
    d.compare_golden()
    qtbot.waitUntil(lambda: d.findChild(GoldenDialog) is not None, timeout=WAIT_MS)
    g = d.findChild(GoldenDialog)
    assert isinstance(g, GoldenDialog)
    qtbot.waitExposed(g)
    assert g.mode == "difference" and g.regions.count() >= 1
    assert "differ" in g.verdict.text()
    (truth,) = scene.defects
    x, y, w, h = g.c.result.regions[0].box_in_piece
    dx, dy, dw, dh = truth.bbox
    assert x <= dx + dw + 3 and dx - 3 <= x + w and y <= dy + dh + 3 and dy - 3 <= y + h
    g.set_mode("side")
    fitted = g.piece_view.zoom
    g.regions.setCurrentRow(0)
    assert g.piece_view.zoom > 1.5 * fitted  # zoomed in on the region
    g.set_mode("overlay")
    first = g.single.frame.copy()  # type: ignore[union-attr]
    g.alpha.setValue(100)
    assert np.array_equal(g.single.frame, g.c.result.aligned)
    assert not np.array_equal(first, g.single.frame)
    g.set_mode("side")
    assert g.pages.currentIndex() == 0


def test_without_a_golden_sample_the_editor_says_what_to_do(
    qtbot: QtBot, window: tuple[MainWindow, UiContext]
) -> None:
    win, ctx = window
    ctx.user = accounts.login(ctx.station, "ines", PASSWORDS["ines"])
    good, _ = photograph(PieceSpec.random(3), W, H)
    d = editor(qtbot, win, ctx, image_of(ctx, good, "SN-2"))
    d.compare_golden()
    qtbot.waitUntil(lambda: "no golden sample" in d.status.text(), timeout=WAIT_MS)
    assert "supervisor sets one" in d.status.text()
