"""Readings in the signed report: as stored, in fixed-point, never rounded away or in an
exponent (the PDF's own text, read back with pdftotext)."""

from __future__ import annotations

import io
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from qcstation import content
from qcstation.domain.inspections import Answer, Inspection, Status, Verdict
from qcstation.domain.yaml_files import load_template
from qcstation.reports.inspection_report import build_report
from qcstation.reports.model import ReportContent

AT = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def report_text(tmp_path: Path, answers: dict[str, Answer], template: str) -> str:
    tpl = load_template(content.templates_dir() / f"{template}.yaml")
    ins = Inspection(
        id="e-notation",
        template=tpl,
        job_ticket="JT-E",
        sku="RG-1",
        serial="SN-E",
        inspector="ines",
        station="bench-3",
        started_at=AT,
        completed_at=AT,
        status=Status.COMPLETED,
        verdict=Verdict.FAIL,
    )
    for item_id, answer in answers.items():
        ins.answers[(item_id, None)] = answer
    buf = io.BytesIO()
    build_report(
        ReportContent(
            number="BENCH-3-R000013",
            plant="Acme Jewelry",
            station="bench-3",
            inspection=ins,
            record_hash="cd" * 32,
            issued_at=AT,
            issued_by="Sam Supervisor",
        ),
        buf,
    )
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(buf.getvalue())
    done = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.usefixtures("poppler")
def test_the_report_prints_readings_as_stored_never_as_exponents(tmp_path: Path) -> None:
    text = report_text(
        tmp_path,
        {
            "weight-deviation": Answer("weight-deviation", readings=(15.0,)),
            "min-wall": Answer("min-wall", readings=(1e-05,)),
        },
        "casting",
    )
    assert "15.00 %" in text  # not 1.5e+01
    assert "0.00001 mm" in text  # not 1e-05, and not rounded to 0.00
    assert "≥ 0.60 mm" in text and "-3.00 – 3.00 %" in text
    assert "e+0" not in text and "e-0" not in text


@pytest.mark.usefixtures("poppler")
def test_a_mean_in_the_report_agrees_with_its_result(tmp_path: Path) -> None:
    """Ring size within ±0.10 mm: a mean of 0.1003 fails, and the report must not print
    "mean 0.10" beside FAIL."""
    text = report_text(
        tmp_path, {"ring-size": Answer("ring-size", readings=(0.1, 0.1, 0.1009))}, "final_qc"
    )
    assert "0.10, 0.10, 0.1009 mm" in text and "(mean 0.1003)" in text  # the cell wraps


@pytest.mark.usefixtures("poppler")
def test_the_report_names_the_instrument_that_gave_a_reading(tmp_path: Path) -> None:
    text = report_text(
        tmp_path,
        {
            "min-wall": Answer("min-wall", readings=(0.85,), instrument="Caliper (Mitutoyo)"),
            "weight-deviation": Answer("weight-deviation", readings=(1.2,)),
        },
        "casting",
    )
    # the cell wraps: "0.85 mm — read from" over "Caliper (Mitutoyo)"
    assert "0.85 mm — read from" in text and "Caliper (Mitutoyo)" in text
    assert text.count("read from") == 1  # the typed reading names none
