"""The HUID recorded at final QC is printed on the certificate's "Hallmark / HUID" line
(and so carried in its QR claims) and among the report's facts."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from qcstation.domain.certificate_claims import (
    claims_from_record,
    hallmark_with_huid,
    recorded_huid,
)
from qcstation.domain.inspections import Answer, Inspection, Outcome, Status, Verdict
from qcstation.domain.yaml_files import load_template

FINAL_QC = Path(__file__).resolve().parents[2] / "resources" / "templates" / "final_qc.yaml"
AT = datetime(2026, 1, 1, tzinfo=timezone.utc)


def inspection(**answers: str | None) -> Inspection:
    ins = Inspection(
        id="i",
        template=load_template(FINAL_QC),
        job_ticket="J",
        sku="RG-1",
        serial="S1",
        inspector="ines",
        station="b",
        started_at=AT,
        completed_at=AT,
        status=Status.COMPLETED,
        verdict=Verdict.PASS,
    )
    for item_id, value in answers.items():
        ins.answers[(item_id, None)] = (
            Answer(item_id, outcome=Outcome.NA) if value is None else Answer(item_id, value=value)
        )
    return ins


def test_the_hallmark_line_carries_the_huid_once() -> None:
    assert hallmark_with_huid("BIS 22K916", "AB12C3") == "BIS 22K916 · HUID AB12C3"
    assert hallmark_with_huid("BIS 22K916 AB12C3", "AB12C3") == "BIS 22K916 AB12C3"
    assert hallmark_with_huid(None, "AB12C3") == "HUID AB12C3"


def test_the_certificate_and_the_report_state_the_recorded_huid() -> None:
    ins = inspection(hallmark="BIS 18K750", huid="AB12C3")
    claims = {c.label: c.value for c in claims_from_record(ins)}
    assert claims["Hallmark / HUID"] == "BIS 18K750 · HUID AB12C3"
    assert recorded_huid(ins) == "AB12C3"


def test_no_huid_when_the_market_needs_none() -> None:
    ins = inspection(hallmark="AB 750 anchor", huid=None)
    claims = {c.label: c.value for c in claims_from_record(ins)}
    assert claims["Hallmark / HUID"] == "AB 750 anchor"
    assert recorded_huid(ins) is None
