"""Small chart widgets painted with QPainter (PySide6-Essentials has no QtCharts).

Each widget is handed plain figures from the dashboard service and only paints them.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from qcstation.domain.dashboards import ParetoBar, PChart, YieldPoint

BAR = QColor("#3E6FB0")
CUM = QColor("#B54708")
BAD = QColor("#B42318")
GOOD = QColor("#1E7B34")
GRID = QColor("#CBD2D9")
STAGE_COLOURS = [
    QColor(c)
    for c in (
        "#2563EB",
        "#DC2626",
        "#16A34A",
        "#9333EA",
        "#EA580C",
        "#0891B2",
        "#CA8A04",
        "#4B5563",
    )
]


def nice_top(value: float, steps: int = 4) -> float:
    """The axis top: the smallest 1/2/2.5/5 x 10^k step times ``steps`` that holds value."""
    if value <= 0:
        return float(steps)
    raw = value / steps
    magnitude = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * magnitude >= raw:
            return m * magnitude * steps
    return 10 * magnitude * steps  # pragma: no cover - the loop ends at 10


class Chart(QWidget):
    """Common frame: title, margins, an empty-state message, the palette's text colour."""

    MARGINS = (46, 26, 40, 46)  # left, top, right, bottom

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = title
        self.empty_text = self.tr("Nothing to show for this filter.")
        # low enough that the dashboard's two rows of charts fit a 1366x768 laptop's
        # window with its task bar; they take the room there is beyond that
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(520, 300)

    def plot_rect(self) -> QRectF:
        left, top, right, bottom = self.MARGINS
        return QRectF(left, top, self.width() - left - right, self.height() - top - bottom)

    def begin(self) -> QPainter:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        text = self.palette().windowText().color()
        p.setPen(text)
        f = QFont(self.font())
        f.setBold(True)
        p.setFont(f)
        p.drawText(QRectF(0, 2, self.width(), 20), Qt.AlignmentFlag.AlignHCenter, self.title)
        f.setBold(False)
        f.setPointSizeF(max(7.0, f.pointSizeF() * 0.85))
        p.setFont(f)
        return p

    def empty(self, p: QPainter) -> None:
        p.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter, self.empty_text)

    def y_axis(self, p: QPainter, r: QRectF, top: float, fmt: str, steps: int = 4) -> None:
        text = self.palette().windowText().color()
        for k in range(steps + 1):
            v = top * k / steps
            y = r.bottom() - r.height() * k / steps
            p.setPen(QPen(GRID, 1))
            p.drawLine(QPointF(r.left(), y), QPointF(r.right(), y))
            p.setPen(text)
            p.drawText(
                QRectF(0, y - 8, r.left() - 4, 16),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                fmt.format(v),
            )


class ParetoChart(Chart):
    """Bars biggest first, the cumulative % as a line on a 0-100 % right-hand axis."""

    TOP = 10
    MARGINS = (46, 26, 48, 66)  # room below for the slanted labels

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(title, parent)
        self.bars: tuple[ParetoBar, ...] = ()
        self.setObjectName("pareto-chart")

    def set_bars(self, bars: tuple[ParetoBar, ...], title: str | None = None) -> None:
        self.bars = bars
        if title:
            self.title = title
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = self.begin()
        shown = self.bars[: self.TOP]
        if not shown:
            self.empty(p)
            return
        r = self.plot_rect()
        top = nice_top(max(4, max(b.count for b in shown)))  # whole-number ticks
        self.y_axis(p, r, top, "{:g}")
        step = r.width() / len(shown)
        text = self.palette().windowText().color()
        cum = QPolygonF()
        for i, b in enumerate(shown):
            h = r.height() * b.count / top
            x = r.left() + i * step
            p.fillRect(QRectF(x + step * 0.12, r.bottom() - h, step * 0.76, h), BAR)
            cum.append(QPointF(x + step / 2, r.bottom() - r.height() * b.cumulative_percent / 100))
            p.setPen(text)
            name = b.key if len(b.key) <= 12 else b.key[:11] + "…"
            p.save()
            p.translate(x + step / 2, r.bottom() + 4)
            p.rotate(30)
            p.drawText(QPointF(0, 8), name)
            p.restore()
        p.setPen(QPen(CUM, 2))
        p.drawPolyline(cum)
        p.setBrush(CUM)
        for k in range(cum.size()):
            p.drawEllipse(cum.at(k), 3, 3)
        for pct in (0, 50, 80, 100):
            y = r.bottom() - r.height() * pct / 100
            p.drawText(QPointF(r.right() + 4, y + 4), f"{pct}%")


class YieldChart(Chart):
    """First-pass yield per stage over the periods, one coloured line per stage."""

    MARGINS = (46, 26, 160, 30)

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(title, parent)
        self.points: tuple[YieldPoint, ...] = ()
        self.setObjectName("yield-chart")

    def set_points(self, points: tuple[YieldPoint, ...]) -> None:
        self.points = points
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = self.begin()
        periods = sorted({pt.period for pt in self.points})
        if not periods:
            self.empty(p)
            return
        r = self.plot_rect()
        self.y_axis(p, r, 100.0, "{:.0f}%")
        index = {d: i for i, d in enumerate(periods)}

        def x(i: int) -> float:
            return r.left() + r.width() * (i + 0.5) / len(periods)

        text = self.palette().windowText().color()
        every = max(1, math.ceil(len(periods) * 70 / max(1.0, r.width())))  # ~70 px a label
        for i, d in enumerate(periods):
            if i % every == 0:
                p.setPen(text)
                p.drawText(
                    QRectF(x(i) - 30, r.bottom() + 4, 60, 16),
                    Qt.AlignmentFlag.AlignHCenter,
                    f"{d:%d %b}",
                )
        stages = sorted({pt.stage for pt in self.points}, key=lambda s: s.order)
        for k, stage in enumerate(stages):
            colour = STAGE_COLOURS[k % len(STAGE_COLOURS)]
            line = QPolygonF(
                [
                    QPointF(x(index[pt.period]), r.bottom() - r.height() * pt.rate)
                    for pt in self.points
                    if pt.stage is stage
                ]
            )
            p.setPen(QPen(colour, 2))
            p.drawPolyline(line)
            p.setBrush(colour)
            for j in range(line.size()):
                p.drawEllipse(line.at(j), 2.5, 2.5)
            y = r.top() + k * 18
            p.fillRect(QRectF(r.right() + 10, y + 4, 12, 8), colour)
            p.setPen(text)
            p.drawText(QPointF(r.right() + 26, y + 12), self.tr(stage.label))


class PChartWidget(Chart):
    """Daily fraction failed, centre line, per-day 3-sigma limits as steps, red when out."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(title, parent)
        self.chart = PChart((), 0.0)
        self.setObjectName("p-chart")

    def set_chart(self, chart: PChart) -> None:
        self.chart = chart
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = self.begin()
        pts = self.chart.points
        if not pts:
            self.empty(p)
            return
        r = self.plot_rect()
        highest = max(max(pt.ucl for pt in pts), max(pt.p for pt in pts), 0.01)
        top = min(1.0, nice_top(100 * highest) / 100)
        self.y_axis(p, r, 100 * top, "{:g}%")
        w = r.width() / len(pts)

        def y(v: float) -> float:
            return r.bottom() - r.height() * min(v, top) / top

        ucl, lcl, line = QPolygonF(), QPolygonF(), QPolygonF()
        for i, pt in enumerate(pts):
            x0 = r.left() + i * w
            for poly, v in ((ucl, pt.ucl), (lcl, pt.lcl)):
                poly.append(QPointF(x0, y(v)))
                poly.append(QPointF(x0 + w, y(v)))
            line.append(QPointF(x0 + w / 2, y(pt.p)))
        p.setPen(QPen(BAD, 1, Qt.PenStyle.DashLine))
        p.drawPolyline(ucl)
        p.drawPolyline(lcl)
        p.setPen(QPen(GOOD, 1.5))
        p.drawLine(QPointF(r.left(), y(self.chart.p_bar)), QPointF(r.right(), y(self.chart.p_bar)))
        text = self.palette().windowText().color()
        p.setPen(QPen(text, 1.2))
        p.drawPolyline(line)
        for i, pt in enumerate(pts):
            bad = pt.out_of_control
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(BAD if bad else text)
            p.drawEllipse(line.at(i), 5 if bad else 2.5, 5 if bad else 2.5)
        p.setPen(text)
        every = max(1, math.ceil(len(pts) * 70 / max(1.0, r.width())))
        for i, pt in enumerate(pts):
            if i % every == 0:
                p.drawText(
                    QRectF(line.at(i).x() - 30, r.bottom() + 4, 60, 16),
                    Qt.AlignmentFlag.AlignHCenter,
                    f"{pt.day:%d %b}",
                )
        legend = self.tr(
            "centre {0:.1f}% · dashed: 3-sigma limits per day · red: out of control ({1})"
        )
        p.drawText(
            QRectF(r.left(), r.bottom() + 22, r.width(), 16),
            Qt.AlignmentFlag.AlignHCenter,
            legend.format(100 * self.chart.p_bar, len(self.chart.out_of_control)),
        )
