"""The canonical record a signature binds, and the manifest a signer signs."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from qcstation.domain.inspections import Answer, Inspection, Outcome
from qcstation.domain.signing import (
    CorrectionInfo,
    EvidenceRef,
    Manifest,
    Meaning,
    canonical_record,
    inspection_record_hash,
)
from qcstation.domain.templates import ChecklistTemplate

TPL = ChecklistTemplate.model_validate(
    {
        "template": "t",
        "version": 3,
        "stage": "casting",
        "name": "T",
        "sections": [{"title": "S", "items": [{"id": "a", "kind": "pass_fail", "prompt": "A"}]}],
    }
)
AT = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)


def inspection(**kw: object) -> Inspection:
    ins = Inspection(
        id="i-1",
        template=TPL,
        job_ticket="J",
        sku="S",
        inspector="ines",
        station="st",
        started_at=AT,
    )
    ins.answers[("a", None)] = Answer("a", outcome=Outcome.PASS)
    return replace(ins, **kw)  # type: ignore[arg-type]


def test_the_record_names_template_version_answers_and_evidence() -> None:
    ev = [EvidenceRef("f" * 64, "image/png", "a", None)]
    rec = canonical_record(inspection(), ev)
    assert rec["template"] == {"key": "t", "version": 3}
    assert rec["answers"] == [
        {
            "item": "a",
            "position": None,
            "outcome": Outcome.PASS,
            "readings": [],
            "value": None,
            "note": "",
        }
    ]
    assert rec["evidence"][0]["sha256"] == "f" * 64


def test_any_change_changes_the_hash_and_order_does_not() -> None:
    base = inspection_record_hash(inspection(), [])
    assert inspection_record_hash(inspection(), []) == base
    changed = inspection()
    changed.answers[("a", None)] = Answer("a", outcome=Outcome.PASS, note="x")
    assert inspection_record_hash(changed, []) != base
    assert inspection_record_hash(inspection(serial="2"), []) != base
    e1, e2 = (
        EvidenceRef("1" * 64, "image/png", "a", None),
        EvidenceRef("2" * 64, "image/png", None, None),
    )
    assert inspection_record_hash(inspection(), [e1, e2]) == inspection_record_hash(
        inspection(), [e2, e1]
    )
    corr = CorrectionInfo("i-0", 2, "typo", "ines", AT)
    assert inspection_record_hash(inspection(), [], corr) != base


def test_the_manifest_round_trips_through_its_signed_bytes() -> None:
    import json

    m = Manifest(
        "i-1",
        "a" * 64,
        Meaning.APPROVED,
        "sam",
        "Sam S",
        "supervisor",
        AT,
        "2026-11-25T09:00:00+01:00 (CET)",
        "k" * 64,
    )
    assert Manifest.from_dict(json.loads(m.encoded())) == m
    assert Meaning.APPROVED.label == "Approved by"
