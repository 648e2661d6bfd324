"""The report layout on its own (no database): page numbers, photos as JPEG, the overlay
hook, the signature spot; rendered with pdftoppm."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from qcstation.domain.defects import Defect, Disposition, Severity
from qcstation.domain.inspections import Answer, Inspection, Outcome, Status, Verdict
from qcstation.domain.templates import ChecklistTemplate
from qcstation.imaging.scenes import encode_jpeg, encode_png, render_piece
from qcstation.reports.inspection_report import build_report
from qcstation.reports.model import Photo, ReportContent

AT = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)
TPL = ChecklistTemplate.model_validate(
    {
        "template": "casting",
        "version": 2,
        "stage": "casting",
        "name": "Casting inspection",
        "sections": [
            {
                "title": "Surface",
                "items": [
                    {"id": "pores", "kind": "pass_fail", "prompt": "No porosity at 10x"},
                    {
                        "id": "wall",
                        "kind": "measurement",
                        "prompt": "Shank wall thickness",
                        "unit": "mm",
                        "lower": 1.2,
                        "upper": 1.8,
                        "nominal": 1.5,
                        "readings": 3,
                    },
                    {
                        "id": "prong",
                        "kind": "pass_fail",
                        "prompt": "Prong intact",
                        "positions": {"label": "Prong", "default": 6},
                    },
                ],
            }
        ],
    }
)


def inspection() -> Inspection:
    ins = Inspection(
        id="5f0c-demo",
        template=TPL,
        job_ticket="JT-26-001234",
        sku="RG-SOL-0412",
        serial="SN123456",
        inspector="ines",
        station="bench-3",
        started_at=AT,
        completed_at=AT,
        status=Status.COMPLETED,
        verdict=Verdict.FAIL,
        position_counts={"prong": 6},
    )
    ins.answers[("pores", None)] = Answer(
        "pores", outcome=Outcome.FAIL, note="cluster by the hallmark"
    )
    ins.answers[("wall", None)] = Answer("wall", readings=(1.41, 1.52, 1.95))
    for p in range(1, 7):
        ins.answers[("prong", p)] = Answer("prong", p, Outcome.PASS)
    ins.defects.append(
        Defect("CST-POR", Severity.MAJOR, "pores", None, Disposition.REWORK, "re-cast")
    )
    return ins


@dataclass
class RecordingOverlay:
    calls: list[tuple[float, ...]] = field(default_factory=list)

    def draw(self, canvas: Any, x: float, y: float, width: float, height: float) -> None:
        self.calls.append((x, y, width, height))
        canvas.setStrokeColorRGB(1, 0, 0)
        canvas.line(x + 5, y + 5, x + 45, y + 5)  # a stand-in scale bar


def photos(tmp_path: Path, n: int, overlay: RecordingOverlay | None = None) -> list[Photo]:
    out = []
    for i in range(n):
        img = render_piece(i, 640, 480, defect="porosity" if i % 3 == 0 else None)
        data, kind = (encode_jpeg(img), "image/jpeg") if i % 2 else (encode_png(img), "image/png")
        path = tmp_path / f"evidence-{i}"  # named like the store: no extension
        path.write_bytes(data)
        out.append(Photo(path, kind, f"{i:064x}", f"photo {i}", overlay if i == 0 else None))
    return out


def test_a_long_report_numbers_every_page_and_embeds_jpegs_as_they_are(tmp_path: Path) -> None:
    overlay = RecordingOverlay()
    content = ReportContent(
        number="BENCH-3-R000007",
        plant="Acme Jewelry",
        station="bench-3",
        inspection=inspection(),
        record_hash="ab" * 32,
        issued_at=AT,
        issued_by="Sam Supervisor",
        defect_names={"CST-POR": "Gas porosity"},
        photos=photos(tmp_path, 12, overlay),
    )
    buf = io.BytesIO()
    area = build_report(content, buf)
    pdf = buf.getvalue()
    pages = int(re.findall(rb"/Count (\d+)", pdf)[0])
    assert pages >= 3 and area.page == pages  # the signature spot is on the last page
    assert pdf.count(b"/DCTDecode") == 12  # PNG evidence became JPEG too
    jpeg = (tmp_path / "evidence-1").read_bytes()
    assert jpeg in pdf  # JPEG evidence went in byte for byte, never decoded
    assert len(overlay.calls) == 1 and overlay.calls[0][2] > 100
    if shutil.which("pdftotext"):
        (tmp_path / "r.pdf").write_bytes(pdf)
        text = subprocess.run(
            ["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True
        ).stdout
        for n in range(1, pages + 1):
            assert f"Page {n} of {pages}" in text
        assert "1.41, 1.52, 1.95 mm (mean" in text and "a reading outside" in text
        assert "1.20 – 1.80 mm" in text and "(nominal 1.50)" in text
        assert "Gas porosity" in text and "rework" in text


@pytest.mark.usefixtures("poppler")
def test_the_report_renders(tmp_path: Path) -> None:
    content = ReportContent(
        number="R1",
        plant="Acme",
        station="s",
        inspection=inspection(),
        record_hash="cd" * 32,
        issued_at=AT,
        issued_by="x",
        photos=photos(tmp_path, 3),
        paper="letter",
    )
    out = tmp_path / "r.pdf"
    with out.open("wb") as fh:
        build_report(content, fh)
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(out), str(tmp_path / "page")], check=True)
    assert len(list(tmp_path.glob("page-*.png"))) >= 2


def test_a_missing_evidence_file_is_named(tmp_path: Path) -> None:
    from qcstation.reports.photos import PhotoError

    content = ReportContent(
        number="R1",
        plant="Acme",
        station="s",
        inspection=inspection(),
        record_hash="cd" * 32,
        issued_at=AT,
        issued_by="x",
        photos=[Photo(tmp_path / "gone", "image/png", "0" * 64, "x")],
    )
    with pytest.raises(PhotoError, match="gone is missing"):
        build_report(content, io.BytesIO())
