"""The report's tables: the facts, results against tolerances, and photo rows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from qcstation.domain.certificate_claims import recorded_huid
from qcstation.domain.check_counts import count_checks
from qcstation.domain.inspections import AnswerError, Inspection, Outcome, evaluate, positions_of
from qcstation.domain.numbers import format_judged, format_reading, format_readings
from qcstation.domain.templates import ChecklistItem, MeasurementItem, PhotoItem
from qcstation.domain.verdicts import shown
from qcstation.reports import layout
from qcstation.reports.layout import INK, MUTED, RULE, SHADE, para
from qcstation.reports.model import ReportContent
from qcstation.reports.photos import JpegPhoto

PHOTO_HEIGHT = 62 * mm
_S = layout.styles()


def _num(value: float, decimals: int) -> str:
    """A limit or a reading as recorded: the report is in English, so a decimal point."""
    return format_reading(value, decimals)


def tolerance(item: MeasurementItem) -> str:
    if item.unresolved:  # no limits: the specification did not give them
        return item.spec_note()
    lo, hi, d, u = item.lower, item.upper, item.decimals, item.unit
    if lo is not None and hi is not None:
        text = f"{_num(lo, d)} – {_num(hi, d)} {u}"
    elif lo is not None:
        text = f"≥ {_num(lo, d)} {u}"
    else:
        text = f"≤ {_num(hi or 0.0, d)} {u}"
    text += f" (nominal {_num(item.nominal, d)})" if item.nominal is not None else ""
    note = item.spec_note()
    return f"{text}; {note}" if note else text


Row = tuple[list[Any], Any]  # cells, colour of the result


def result_rows(content: ReportContent, widths: list[float]) -> Iterator[tuple[str, Row]]:
    ins = content.inspection
    for section in ins.template.sections:
        for item in section.items:
            limits = tolerance(item) if isinstance(item, MeasurementItem) else ""
            for pos in positions_of(item, ins.position_counts):
                yield section.title, _row(item, pos, limits, content, widths)


def _row(
    item: ChecklistItem, pos: int | None, limits: str, content: ReportContent, w: list[float]
) -> Row:
    ans = content.inspection.answers.get((item.id, pos))
    check = item.prompt + (f" — {item.positions.label} {pos}" if item.positions and pos else "")
    reading, result, colour = "", "not answered", MUTED
    if ans is not None:
        try:
            ev = evaluate(item, ans)
            result = _RESULT.get(ev.outcome, ev.outcome.value.upper())
            colour = _COLOUR.get(ev.outcome, INK)
            if isinstance(item, PhotoItem) and ev.outcome is Outcome.PASS:
                result, colour = "photo taken", INK  # evidence kept, not a check passed
            if isinstance(item, MeasurementItem) and ans.readings:
                reading = format_readings(ans.readings, item.decimals) + f" {item.unit}"
                if ev.mean is not None and len(ans.readings) > 1:
                    mean = format_judged(ev.mean, item.decimals, (item.lower, item.upper))
                    reading += f" (mean {mean})"
                if ev.reading_out_of_limits:
                    reading += " — a reading outside limits"
                if ans.instrument:
                    reading += f" — read from {ans.instrument}"
            elif ans.value:
                reading = ans.value
        except AnswerError as exc:
            result, colour = "invalid", layout.BAD
            reading = str(exc)
    note = ans.note if ans else ""
    cells = [_fit(check, w[0]), result, _fit(reading, w[2]), _fit(limits, w[3]), _fit(note, w[4])]
    return cells, colour


_RESULT = {Outcome.NA: "N/A", Outcome.RECORDED: "recorded"}
_COLOUR = {Outcome.PASS: layout.GOOD, Outcome.FAIL: layout.BAD}
_PAD = 6  # left + right cell padding


def _fit(text: str, width: float) -> Any:
    """Plain text when it fits on one line (cheap to lay out), else a wrapping paragraph."""
    if not text:
        return ""
    if "\n" not in text and stringWidth(text, "Helvetica", 7.5) <= width - _PAD:
        return text
    return para(text, _S["cell"])


_BASE = [
    ("FONT", (0, 0), (-1, -1), "Helvetica", 7.5, 9),
    ("TEXTCOLOR", (0, 0), (-1, -1), INK),
    ("BACKGROUND", (0, 0), (-1, 0), SHADE),
    ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LEFTPADDING", (0, 0), (-1, -1), 3),
    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ("TOPPADDING", (0, 0), (-1, -1), 2),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
]


def table(
    rows: list[list[Any]],
    widths: list[float],
    header: list[str],
    extra: Sequence[tuple[Any, ...]] = (),
) -> Table:
    data = [[para(h, _S["cellb"]) for h in header], *rows]
    t = Table(data, colWidths=widths, repeatRows=1)
    t.setStyle(TableStyle([*_BASE, *extra]))
    return t


def results_table(rows: list[Row], widths: list[float]) -> Table:
    """Results, their column in bold and coloured, one style command per run of a colour."""
    extra: list[tuple[Any, ...]] = [("FONT", (1, 1), (1, -1), "Helvetica-Bold", 7.5, 9)]
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i][1] is not rows[start][1]:
            extra.append(("TEXTCOLOR", (1, start + 1), (1, i), rows[start][1]))
            start = i
    header = ["Check", "Result", "Reading / value", "Tolerance", "Note"]
    return table([cells for cells, _ in rows], widths, header, extra)


def facts(content: ReportContent, width: float) -> Table:
    ins = content.inspection
    subject = ins.subject.value
    if ins.lot_size:
        subject += f" of {ins.lot_size}" + (
            f", sample {ins.sample_size}" if ins.sample_size else ""
        )
    pairs = [
        ("Plant", content.plant),
        ("Station", content.station),
        ("Job ticket", ins.job_ticket),
        ("SKU", ins.sku),
        ("Serial", ins.serial or "—"),
        *([("HUID", huid)] if (huid := recorded_huid(ins)) else []),
        ("Subject", subject),
        ("Stage", ins.template.stage.label),
        ("Checklist", f"{ins.template.name} ({ins.template.key})"),
        ("Inspector", ins.inspector),
        ("Started", when(ins.started_at)),
        ("Completed", when(ins.completed_at)),
        ("Verdict", content.verdict or _verdict(content)),
        ("Checks", count_checks(ins).describe()),
        ("Issued", f"{when(content.issued_at)} by {content.issued_by}"),
        ("Inspection ID", ins.id),
    ]
    if content.copy:
        pairs.append(("This copy", content.copy))
    if content.correction:
        c = content.correction
        pairs.append(("Revision", f"{c.revision}: corrects {c.supersedes_id} — {c.reason}"))
    if content.review:
        r = content.review
        pairs.append(("Review", f"{r.decision} by {r.reviewer}, {when(r.at)}: {r.reason}"))
    cells = [[para(k, _S["cellb"]), para(v, _S["cell"])] for k, v in pairs]
    half = (len(cells) + 1) // 2
    rows = []
    for i in range(half):
        right = cells[half + i] if half + i < len(cells) else ["", ""]
        rows.append(cells[i] + right)
    t = Table(rows, colWidths=[0.13 * width, 0.37 * width, 0.13 * width, 0.37 * width])
    t.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    return t


def _verdict(content: ReportContent) -> str:
    ins = content.inspection
    decided = content.review.decision if content.review else None
    return shown(ins.verdict, decided, ins.status.value) or "—"


def where(ins: Inspection, item_id: str | None, position: int | None) -> str:
    if item_id is None:
        return "the piece as a whole"
    try:
        text = ins.template.item(item_id).prompt
    except KeyError:
        text = item_id
    return text + (f" — #{position}" if position else "")


def when(at: Any) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC" if at else "—"


def photo_rows(photos: list[JpegPhoto], width: float) -> Iterator[Flowable]:
    col = (width - 6 * mm) / 2
    for i in range(0, len(photos), 2):
        pair = photos[i : i + 2]
        boxes = [layout.PhotoBox(p, col, PHOTO_HEIGHT) for p in pair]
        caps = [
            Paragraph(
                f"{escape(p.photo.caption)}<br/><font size=5.5>SHA-256 {p.photo.sha256}</font>",
                _S["caption"],
            )
            for p in pair
        ]
        t = Table(
            [boxes + [""] * (2 - len(pair)), caps + [""] * (2 - len(pair))],
            colWidths=[col + 3 * mm, col + 3 * mm],
        )
        t.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("BOTTOMPADDING", (0, 1), (-1, 1), 6),
                ]
            )
        )
        yield t
