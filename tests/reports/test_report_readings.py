"""Readings in the signed report: as stored, in fixed-point, never rounded away or in an
exponent (the PDF's own text, read back with pdftotext)."""

from __future__ import annotations

import io
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from qcstation import content
from qcstation.domain.inspections import Answer, Inspection, Outcome, Status, Verdict
from qcstation.domain.specs import Frozen, Specification, freeze
from qcstation.domain.templates import ChecklistTemplate
from qcstation.domain.yaml_files import load_template
from qcstation.reports.inspection_report import build_report
from qcstation.reports.model import ReportContent

AT = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def report_text(
    tmp_path: Path,
    answers: dict[str, Answer],
    template: str | ChecklistTemplate,
    spec: Frozen | None = None,
) -> str:
    tpl = (
        load_template(content.templates_dir() / f"{template}.yaml")
        if isinstance(template, str)
        else template
    ).with_frozen(spec)
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
        spec=spec,
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
    ring_size = ChecklistTemplate.model_validate(
        {
            "template": "ring",
            "version": 1,
            "stage": "final_qc",
            "name": "Ring",
            "sections": [
                {
                    "title": "Fit",
                    "items": [
                        {
                            "id": "ring-size",
                            "kind": "measurement",
                            "prompt": "Ring inside diameter minus ordered diameter",
                            "unit": "mm",
                            "nominal": 0,
                            "lower": -0.1,
                            "upper": 0.1,
                            "readings": 3,
                        }
                    ],
                }
            ],
        }
    )
    text = report_text(
        tmp_path, {"ring-size": Answer("ring-size", readings=(0.1, 0.1, 0.1009))}, ring_size
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


@pytest.mark.usefixtures("poppler")
def test_the_report_prints_the_frozen_specification_limits_and_their_source(
    tmp_path: Path,
) -> None:
    tpl = load_template(content.templates_dir() / "final_qc.yaml")
    spec = Specification(
        sku="RG-1",
        product_type="ring",
        weight_g=5.2,
        weight_tol_minus_g=0.1,
        weight_tol_plus_g=0.15,
        weight_resolution_g=0.001,
        ring_size_mm=54.4,
    )
    frozen = freeze(tpl.spec_refs(), "RG-1", spec, 3)
    text = report_text(
        tmp_path,
        {
            "weight-to-spec": Answer("weight-to-spec", readings=(5.312,)),
            "ring-circumference": Answer("ring-circumference", readings=(54.6,)),
        },
        "final_qc",
        frozen,
    )
    flat = " ".join(text.split())
    assert "5.312 g" in flat and "5.100 – 5.350 g (nominal 5.200)" in flat
    assert "from SKU RG-1 spec, rev 3" in flat
    assert "53.9 – 54.9 mm" in flat and "US 7, UK N½" in flat


@pytest.mark.usefixtures("poppler")
def test_an_item_without_its_specification_prints_why_not_a_made_up_limit(
    tmp_path: Path,
) -> None:
    tpl = load_template(content.templates_dir() / "final_qc.yaml")
    frozen = freeze(tpl.spec_refs(), "RG-1", None, None)
    text = report_text(
        tmp_path,
        {"weight-to-spec": Answer("weight-to-spec", outcome=Outcome.NA)},
        "final_qc",
        frozen,
    )
    flat = " ".join(text.split())
    assert "no specification for SKU RG-1" in flat
    assert "≤ 0.00 g" not in flat  # it once printed an upper limit of 0 for want of one
