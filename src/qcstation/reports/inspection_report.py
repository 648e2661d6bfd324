"""The inspection report: subject, results against tolerances, defects, actions, evidence,
electronic signatures, and room for the document's PDF signature on its last page."""

from __future__ import annotations

from typing import IO, Any

from reportlab.lib.units import mm
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Spacer,
)

from qcstation.reports import layout
from qcstation.reports.layout import MUTED, RULE, para
from qcstation.reports.model import ReportContent, SignatureArea
from qcstation.reports.photos import JpegPhoto, jpeg_files
from qcstation.reports.report_tables import (
    Row,
    facts,
    photo_rows,
    result_rows,
    results_table,
    table,
    tolerance,
    where,
)

__all__ = ["build_report", "tolerance"]

MARGIN = 16 * mm
_S = layout.styles()


def _story(
    content: ReportContent, photos: list[JpegPhoto], width: float, found: list[SignatureArea]
) -> list[Flowable]:
    ins = content.inspection
    story: list[Flowable] = [
        para("Inspection report", _S["title"]),
        para(f"No. {content.number} · {ins.template.stage.label} · {ins.sku}", _S["body"]),
        Spacer(1, 4 * mm),
    ]
    if content.superseded_by:
        story.append(
            para(f"SUPERSEDED: corrected by inspection {content.superseded_by}.", _S["cellb"])
        )
    story += [facts(content, width), para("Results", _S["h2"])]
    w = [0.36 * width, 0.1 * width, 0.2 * width, 0.17 * width, 0.17 * width]
    section: str | None = None
    rows: list[Row] = []
    for title, row in result_rows(content, w):
        if title != section and rows:
            story += [para(section or "", _S["h3"]), results_table(rows, w)]
            rows = []
        section = title
        rows.append(row)
    if rows:
        story += [para(section or "", _S["h3"]), results_table(rows, w)]
    story.append(para("Defects and dispositions", _S["h2"]))
    if ins.defects:
        drows = [
            [
                para(d.code, _S["cell"]),
                para(content.defect_names.get(d.code, ""), _S["cell"]),
                para(d.severity.value, _S["cell"]),
                para(where(ins, d.item_id, d.position), _S["cell"]),
                para(d.disposition.value.replace("_", " "), _S["cell"]),
                para(d.note, _S["cell"]),
            ]
            for d in ins.defects
        ]
        story.append(
            table(
                drows,
                [
                    w * 1.0
                    for w in (
                        0.11 * width,
                        0.22 * width,
                        0.1 * width,
                        0.17 * width,
                        0.14 * width,
                        0.26 * width,
                    )
                ],
                ["Code", "Defect", "Severity", "Where", "Disposition", "Note"],
            )
        )
    else:
        story.append(para("No defects logged.", _S["body"]))
    story.append(para("Corrective actions", _S["h2"]))
    if content.actions:
        arows = [
            [
                para(a.title, _S["cell"]),
                para(a.status.value.replace("_", " "), _S["cell"]),
                para(a.root_cause or "—", _S["cell"]),
                para(a.corrective or "—", _S["cell"]),
                para(a.owner or "—", _S["cell"]),
                para(a.due.isoformat() if a.due else "—", _S["cell"]),
            ]
            for a in content.actions
        ]
        story.append(
            table(
                arows,
                [
                    0.22 * width,
                    0.12 * width,
                    0.22 * width,
                    0.22 * width,
                    0.11 * width,
                    0.11 * width,
                ],
                ["Action", "Status", "Root cause", "Corrective", "Owner", "Due"],
            )
        )
    else:
        story.append(para("None linked to this inspection's defects.", _S["body"]))
    story.append(para("Evidence photos", _S["h2"]))
    if photos:
        story.extend(photo_rows(photos, width))
    else:
        story.append(para("No photos.", _S["body"]))
    story += [CondPageBreak(60 * mm), para("Electronic signatures", _S["h2"])]
    if content.signatures:
        srows = [
            [
                para(s.meaning.label, _S["cell"]),
                para(s.manifest.printed_name, _S["cellb"]),
                para(s.manifest.role, _S["cell"]),
                para(f"{s.manifest.signed_at:%Y-%m-%d %H:%M:%S} UTC", _S["cell"]),
                para(s.manifest.local_time, _S["cell"]),
                para(s.manifest.record_hash[:12] + "…", _S["cell"]),
            ]
            for s in content.signatures
        ]
        story.append(
            table(
                srows,
                [0.12 * width, 0.18 * width, 0.1 * width, 0.19 * width, 0.27 * width, 0.14 * width],
                ["Meaning", "Printed name", "Role", "Signed", "Local time", "Record SHA-256"],
            )
        )
    else:
        story.append(para("Not signed electronically.", _S["body"]))
    story.append(
        para(
            f"Each signature was made with the signer's password re-entered and is bound to the "
            f"SHA-256 of this exact record: {content.record_hash}. Check this file with "
            f"`qcstation verify FILE.pdf`, or its PDF signature in any PDF reader.",
            _S["small"],
        )
    )
    story += [
        Spacer(1, 4 * mm),
        KeepTogether(layout.SignatureSpot(80 * mm, 22 * mm, "Document signature (PAdES)", found)),
    ]
    return story


def build_report(content: ReportContent, out: IO[bytes]) -> SignatureArea:
    """Write the report PDF (unsigned) to ``out``; return where the signature goes."""
    size = layout.page_size(content.paper)
    found: list[SignatureArea] = []
    doc = BaseDocTemplate(
        out,
        pagesize=size,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 6 * mm,
        bottomMargin=MARGIN + 4 * mm,
        title=f"Inspection report {content.number}",
        author=content.plant,
        subject=f"record sha256 {content.record_hash}",
        creator="qcstation",
    )
    frame = Frame(
        doc.leftMargin,
        doc.bottomMargin,
        doc.width,
        doc.height,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])

    def footer(c: Any, page: int, pages: int) -> None:
        c.saveState()
        c.setFont("Helvetica", 7)
        c.setFillColor(MUTED)
        top = size[1] - MARGIN
        c.drawString(MARGIN, top, f"{content.plant} · Inspection report {content.number}")
        c.drawRightString(size[0] - MARGIN, top, content.inspection.sku)
        c.setStrokeColor(RULE)
        c.line(MARGIN, top - 2 * mm, size[0] - MARGIN, top - 2 * mm)
        c.drawString(MARGIN, MARGIN, f"Record SHA-256 {content.record_hash}")
        c.drawRightString(size[0] - MARGIN, MARGIN, f"Page {page} of {pages}")
        c.restoreState()

    class _Canvas(layout.NumberedCanvas):
        pass

    _Canvas.footer = staticmethod(footer)
    with jpeg_files(content.photos) as photos:
        doc.build(_story(content, photos, doc.width, found), canvasmaker=_Canvas)
    if not found:
        raise RuntimeError("the signature spot was not laid out")
    return found[-1]
