"""The quality dashboard as a PDF summary: totals, four Paretos, first-pass yield, p-chart.

Charts are reportlab.graphics drawings (a bar chart with the cumulative % line over it,
line plots), so they stay vectors and print sharply at any size.
"""

from __future__ import annotations

import io
from datetime import datetime

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, SimpleDocTemplate, Spacer, Table, TableStyle

from qcstation.domain.dashboards import Dashboard, ParetoBar, ParetoBy, PChart, YieldPoint
from qcstation.reports.layout import BAD, GOOD, INK, MUTED, RULE, SHADE, WARN, para, styles

PARETO_TITLES = {
    ParetoBy.CODE: "Defects by code",
    ParetoBy.STAGE: "Defects by stage",
    ParetoBy.WORKER: "Defects by worker (inspector)",
    ParetoBy.MATERIAL: "Defects by material",
}
TOP = 8  # bars per Pareto; the rest are summed into "other" in the table
STAGE_COLOURS = [
    colors.HexColor(c)
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
BAR = colors.HexColor("#3E6FB0")


def pareto_drawing(
    by: ParetoBy, bars: tuple[ParetoBar, ...], width: float, height: float
) -> Drawing:
    d = Drawing(width, height)
    shown = bars[:TOP]
    if not shown:
        d.add(String(width / 2, height / 2, "no defects", textAnchor="middle", fontSize=8))
        return d
    chart = VerticalBarChart()
    chart.x, chart.y = 28, 30
    chart.width, chart.height = width - 58, height - 42
    chart.data = [[b.count for b in shown]]
    names = [b.key if by in (ParetoBy.CODE, ParetoBy.WORKER) else b.label for b in shown]
    chart.categoryAxis.categoryNames = [n if len(n) <= 14 else n[:13] + "…" for n in names]
    chart.categoryAxis.labels.angle = 30
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.categoryAxis.labels.fontSize = 5.5
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 6
    chart.bars[0].fillColor = BAR
    chart.bars[0].strokeColor = None
    chart.barSpacing = 1
    d.add(chart)
    # cumulative % on a right-hand 0..100 % axis, at the bar centres
    step = chart.width / len(shown)
    points: list[float] = []
    for i, b in enumerate(shown):
        points += [chart.x + (i + 0.5) * step, chart.y + chart.height * b.cumulative_percent / 100]
    d.add(PolyLine(points, strokeColor=WARN, strokeWidth=1.2))
    for i in range(0, len(points), 2):
        d.add(Circle(points[i], points[i + 1], 1.6, fillColor=WARN, strokeColor=None))
    right = chart.x + chart.width
    d.add(Line(right, chart.y, right, chart.y + chart.height, strokeColor=MUTED, strokeWidth=0.5))
    for pct in (0, 50, 80, 100):
        y = chart.y + chart.height * pct / 100
        d.add(String(right + 2, y - 2, f"{pct}%", fontSize=5.5, fillColor=WARN))
    return d


def yield_drawing(points: tuple[YieldPoint, ...], width: float, height: float) -> Drawing:
    d = Drawing(width, height)
    periods = sorted({p.period for p in points})
    if not periods:
        d.add(String(width / 2, height / 2, "no inspections", textAnchor="middle", fontSize=8))
        return d
    index = {p: i for i, p in enumerate(periods)}
    stages = sorted({p.stage for p in points}, key=lambda s: s.order)
    plot = LinePlot()
    plot.x, plot.y = 30, 34
    plot.width, plot.height = width - 130, height - 44
    plot.data = [
        [(index[p.period], 100 * p.rate) for p in points if p.stage is stage] for stage in stages
    ]
    plot.xValueAxis.valueMin = -0.5
    plot.xValueAxis.valueMax = len(periods) - 0.5
    plot.xValueAxis.valueSteps = list(range(len(periods)))
    every = max(1, len(periods) // 8)
    plot.xValueAxis.labelTextFormat = lambda v: (
        periods[int(v)].strftime("%d %b") if int(v) % every == 0 else ""
    )
    plot.xValueAxis.labels.fontSize = 6
    plot.yValueAxis.valueMin = 0
    plot.yValueAxis.valueMax = 100
    plot.yValueAxis.valueSteps = [0, 25, 50, 75, 100]
    plot.yValueAxis.labelTextFormat = "%d%%"
    plot.yValueAxis.labels.fontSize = 6
    for i, _stage in enumerate(stages):
        colour = STAGE_COLOURS[i % len(STAGE_COLOURS)]
        plot.lines[i].strokeColor = colour
        plot.lines[i].strokeWidth = 1.2
    d.add(plot)
    for i, stage in enumerate(stages):  # legend
        y = plot.y + plot.height - i * 10
        colour = STAGE_COLOURS[i % len(STAGE_COLOURS)]
        d.add(Rect(width - 92, y - 1, 8, 4, fillColor=colour, strokeColor=None))
        d.add(String(width - 80, y - 1, stage.label, fontSize=6.5, fillColor=INK))
    return d


def p_chart_drawing(chart: PChart, width: float, height: float) -> Drawing:
    d = Drawing(width, height)
    pts = chart.points
    if not pts:
        d.add(String(width / 2, height / 2, "no inspections", textAnchor="middle", fontSize=8))
        return d
    x0, y0, w, h = 34, 24, width - 44, height - 34
    top = max(max(p.ucl for p in pts), max(p.p for p in pts), 0.01) * 1.1
    top = min(1.0, top)

    def px(i: float) -> float:
        return x0 + w * (i + 0.5) / len(pts)

    def py(v: float) -> float:
        return y0 + h * min(v, top) / top

    d.add(Rect(x0, y0, w, h, fillColor=None, strokeColor=RULE, strokeWidth=0.5))
    for k in range(5):
        v = top * k / 4
        d.add(String(x0 - 3, py(v) - 2, f"{100 * v:.0f}%", fontSize=6, textAnchor="end"))
    # per-day limits are a step line: each day has its own n
    ucl: list[float] = []
    lcl: list[float] = []
    half = w / len(pts) / 2
    for i, p in enumerate(pts):
        ucl += [px(i) - half, py(p.ucl), px(i) + half, py(p.ucl)]
        lcl += [px(i) - half, py(p.lcl), px(i) + half, py(p.lcl)]
    d.add(PolyLine(ucl, strokeColor=BAD, strokeWidth=0.7, strokeDashArray=[2, 1.5]))
    d.add(PolyLine(lcl, strokeColor=BAD, strokeWidth=0.7, strokeDashArray=[2, 1.5]))
    d.add(Line(x0, py(chart.p_bar), x0 + w, py(chart.p_bar), strokeColor=GOOD, strokeWidth=0.8))
    line: list[float] = []
    for i, p in enumerate(pts):
        line += [px(i), py(p.p)]
    d.add(PolyLine(line, strokeColor=INK, strokeWidth=0.8))
    for i, p in enumerate(pts):
        bad = p.out_of_control
        r = 2.4 if bad else 1.3
        d.add(Circle(px(i), py(p.p), r, fillColor=BAD if bad else INK, strokeColor=None))
    every = max(1, len(pts) // 10)
    for i, p in enumerate(pts):
        if i % every == 0:
            d.add(String(px(i), y0 - 9, p.day.strftime("%d %b"), fontSize=5.5, textAnchor="middle"))
    d.add(
        String(
            x0 + w,
            y0 + h + 3,
            f"centre p = {100 * chart.p_bar:.2f}%   - - UCL/LCL (3 sigma, per day)   "
            f"red: out of control ({len(chart.out_of_control)})",
            fontSize=6,
            textAnchor="end",
            fillColor=MUTED,
        )
    )
    return d


def _pareto_table(by: ParetoBy, bars: tuple[ParetoBar, ...], width: float) -> Table:
    st = styles()
    rows = [[para(h, st["cellb"]) for h in ("", "count", "%", "cum. %")]]
    for b in bars[:TOP]:
        label = f"{b.key} {b.label}" if by is ParetoBy.CODE else b.label
        rows.append(
            [
                para(label[:48], st["cell"]),
                f"{b.count:,}",
                f"{b.percent:.1f}",
                f"{b.cumulative_percent:.1f}",
            ]
        )
    rest = bars[TOP:]
    if rest:
        rows.append(
            [para(f"{len(rest)} more", st["small"]), f"{sum(b.count for b in rest):,}", "", ""]
        )
    t = Table(rows, colWidths=[width - 42 * mm, 14 * mm, 12 * mm, 16 * mm])
    t.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (0, 0), (-1, -1), 7),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return t


def render(d: Dashboard, station_name: str, generated: datetime) -> bytes:
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=(210 * mm, 297 * mm),
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title="Quality dashboard",
        author=f"qcstation {station_name}",
    )
    st = styles()
    width = doc.width
    half = (width - 6 * mm) / 2
    story: list = [
        para("Quality dashboard", st["title"]),
        para(
            f"{d.filter.describe()} — station {station_name}, generated "
            f"{generated:%Y-%m-%d %H:%M} UTC",
            st["small"],
        ),
        Spacer(0, 3 * mm),
    ]
    fail_rate = 100 * d.failed / d.inspected if d.inspected else 0.0
    facts = Table(
        [
            ["Inspections", "Failed", "Fail rate", "Defects", "Out-of-control days"],
            [
                f"{d.inspected:,}",
                f"{d.failed:,}",
                f"{fail_rate:.1f}%",
                f"{d.defects:,}",
                f"{len(d.p_chart.out_of_control)}",
            ],
        ],
        colWidths=[width / 5] * 5,
    )
    facts.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (0, 0), (-1, 0), 7),
                ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
                ("FONTNAME", (0, 1), (-1, 1), "Helvetica-Bold"),
                ("FONTSIZE", (0, 1), (-1, 1), 13),
                ("TOPPADDING", (0, 1), (-1, 1), 3),
                ("BACKGROUND", (0, 0), (-1, -1), SHADE),
            ]
        )
    )
    story.append(facts)
    cells = []
    for by in ParetoBy:
        bars = d.pareto.get(by, ())
        cells.append(
            [
                para(PARETO_TITLES[by], st["h3"]),
                pareto_drawing(by, bars, half, 52 * mm),
                _pareto_table(by, bars, half),
            ]
        )
    grid = Table(
        [[cells[0], cells[1]], [cells[2], cells[3]]],
        colWidths=[half + 3 * mm, half + 3 * mm],
    )
    grid.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )
    story += [para("Pareto of defects", st["h2"]), grid]
    story.append(
        KeepTogether(
            [
                para(f"First-pass yield per stage, by {d.bucket.value}", st["h2"]),
                para(
                    "Passed at the first inspection / inspected; needs review is not a first pass.",
                    st["small"],
                ),
                yield_drawing(d.first_pass_yield, width, 62 * mm),
            ]
        )
    )
    story.append(
        KeepTogether(
            [
                para("p-chart: daily fraction failed", st["h2"]),
                p_chart_drawing(d.p_chart, width, 62 * mm),
                _ooc_table(d.p_chart, width),
            ]
        )
    )
    doc.build(story)
    return buf.getvalue()


def _ooc_table(chart: PChart, width: float) -> Table | Spacer:
    bad = chart.out_of_control
    if not bad:
        return Spacer(0, 1)
    st = styles()
    rows = [["Out of control", "n", "failed", "p", "LCL", "UCL"]]
    for p in bad[:12]:
        rows.append(
            [
                p.day.isoformat(),
                f"{p.n:,}",
                f"{p.nonconforming:,}",
                f"{100 * p.p:.2f}%",
                f"{100 * p.lcl:.2f}%",
                f"{100 * p.ucl:.2f}%",
            ]
        )
    if len(bad) > 12:
        rows.append([para(f"… and {len(bad) - 12} more days", st["small"]), "", "", "", "", ""])
    t = Table(rows, colWidths=[width * 0.3] + [width * 0.14] * 5)
    t.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (0, 0), (-1, -1), 7),
                ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, RULE),
            ]
        )
    )
    return t
