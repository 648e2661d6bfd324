"""SKU specifications at the station: import from an ERP export (all rows checked, nothing
written on a bad one), revisions, who may import, and what an inspection freezes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qcstation.domain.inspections import Answer, Outcome, Verdict
from qcstation.domain.stages import Stage
from qcstation.domain.templates import MeasurementItem, PhotoItem
from qcstation.domain.users import User
from qcstation.domain.yaml_files import ContentError
from qcstation.imaging.scenes import encode_png, render_piece
from qcstation.services import audit, corrections, inspections, records, specs, templates
from qcstation.services.context import Station
from qcstation.services.demo_answers import passing_answer
from qcstation.services.errors import InvalidInput, NotFound, PermissionDenied
from qcstation.store.models import InspectionRow, SkuSpecRow

HEADER = (
    "sku,product_type,metal,fineness,weight_g,weight_tol_minus_g,weight_tol_plus_g,"
    "ring_size,length_mm,stone_count,stone_carat,market"
)
GOOD = [
    "R-1042,ring,yellow gold,750,5.20,0.10,0.15,US 7,,3,0.50,UK",
    'C-2001,necklace,white gold,585,"12,40",0.3,0.5,,450,,,US',
]


def csv_file(tmp_path: Path, *rows: str, name: str = "erp.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def spec_rows(station: Station) -> int:
    with station.db.read() as s:
        return len(s.query(SkuSpecRow).all())


def test_a_good_export_is_imported_and_shown(
    station: Station, supervisor: User, tmp_path: Path
) -> None:
    result = specs.import_file(station, supervisor, csv_file(tmp_path, *GOOD))
    assert result.added == [("R-1042", "", 1), ("C-2001", "", 1)]
    (shown,) = specs.show(station, "R-1042")
    assert shown.revision == 1 and shown.imported_by == "sam" and shown.source == "erp.csv"
    lines = dict(shown.spec.lines())
    assert lines["Ring size"].startswith("ISO 54.42 mm (US 7, UK N½)")
    assert lines["Gross weight"] == "5.2 g −0.1/+0.15 g (balance 0.01 g)"
    chain = specs.show(station, "C-2001")[0].spec
    assert chain.weight_g == 12.4  # a decimal comma from a comma-locale export
    assert dict(chain.lines())["Length"] == "450 mm −2/+5 mm (necklace default)"
    assert audit.verify(station).ok  # every revision is an audited row


def test_the_same_export_again_adds_nothing_and_a_change_adds_a_revision(
    station: Station, supervisor: User, tmp_path: Path
) -> None:
    specs.import_file(station, supervisor, csv_file(tmp_path, *GOOD))
    again = specs.import_file(station, supervisor, csv_file(tmp_path, *GOOD))
    assert again.added == [] and len(again.unchanged) == 2
    changed = GOOD[0].replace("5.20", "5.30")
    result = specs.import_file(station, supervisor, csv_file(tmp_path, changed, name="b.csv"))
    assert result.added == [("R-1042", "", 2)]
    assert specs.show(station, "R-1042")[0].spec.weight_g == 5.3
    assert [r.revision for r in specs.revisions(station, "R-1042")] == [2, 1]


def test_a_json_export_names_each_bad_record_by_line_and_field(
    station: Station, supervisor: User, tmp_path: Path
) -> None:
    path = tmp_path / "erp.json"
    records = [
        {"sku": "R-1", "product_type": "ring", "ring_size": "UK N½"},
        {"sku": "R-2", "product_type": "ring", "weight_g": -1},
        {"sku": "R-3", "product_type": "sofa"},
    ]
    path.write_text("[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]\n")
    with pytest.raises(ContentError) as caught:
        specs.import_file(station, supervisor, path)
    found = {(p.line, p.field) for p in caught.value.problems}
    assert (3, "weight_g") in found and (4, "product_type") in found
    assert all(p.file == str(path) for p in caught.value.problems)
    assert spec_rows(station) == 0  # the good first record was not written either
    path.write_text(json.dumps({"specifications": records[:1]}))
    assert specs.import_file(station, supervisor, path).added == [("R-1", "", 1)]


@pytest.mark.parametrize(
    ("rows", "line", "field", "message"),
    [
        (["R-1,ring,,,5.2,0.1,,,,,,"], 2, "weight_g", "weight_g needs its tolerance"),
        (["R-1,ring,,,,,,US 7.3,,,,"], 2, "ring_size", "not a ring size"),
        (["R-1,bracelet,,,,,,54,,,,"], 2, "", "a ring size is for a ring"),
        (["R-1,ring,,1200,,,,,,,,"], 2, "fineness", "less than or equal to 1000"),
        ([GOOD[0], GOOD[0]], 3, "sku", "also on line 3"),
        (["R-1,ring"], 2, "", "2 cells where the header has 12"),
    ],
)
def test_a_bad_row_is_refused_by_line_and_field_with_nothing_written(
    station: Station,
    supervisor: User,
    tmp_path: Path,
    rows: list[str],
    line: int,
    field: str,
    message: str,
) -> None:
    with pytest.raises(ContentError) as caught:
        specs.import_file(station, supervisor, csv_file(tmp_path, GOOD[1], *rows))
    problem = next(p for p in caught.value.problems if message in p.message)
    assert (problem.line, problem.field) == (line + 1, field)  # GOOD[1] is line 2
    assert spec_rows(station) == 0


def test_an_unknown_column_is_named(station: Station, supervisor: User, tmp_path: Path) -> None:
    path = tmp_path / "erp.csv"
    path.write_text("sku,product_type,wieght_g\nR-1,ring,5\n")
    with pytest.raises(ContentError) as caught:
        specs.import_file(station, supervisor, path)
    (problem,) = caught.value.problems
    assert (problem.line, problem.field) == (1, "wieght_g")
    assert "unknown column" in problem.message


def test_only_a_supervisor_or_administrator_imports(
    station: Station, inspector: User, tmp_path: Path
) -> None:
    with pytest.raises(PermissionDenied):
        specs.import_file(station, inspector, csv_file(tmp_path, *GOOD))
    assert spec_rows(station) == 0
    with pytest.raises(NotFound, match="no specification for SKU 'R-1042'"):
        specs.show(station, "R-1042")


def weight_item(station: Station, ins_id: str) -> MeasurementItem:
    item = inspections.get(station, ins_id).template.item("weight-to-spec")
    assert isinstance(item, MeasurementItem)
    return item


def record_hash(station: Station, ins_id: str) -> str:
    with station.db.read() as s:
        return records.load(s, ins_id).record_hash


def test_an_inspection_keeps_the_values_it_started_with(
    station: Station, supervisor: User, inspector: User, tmp_path: Path
) -> None:
    """A later revision changes neither the limits, nor the stored verdict, nor the record."""
    specs.import_file(station, supervisor, csv_file(tmp_path, *GOOD))
    ins = inspections.start(station, inspector, Stage.FINAL_QC, "JT-1", "R-1042", "SN1")
    item = weight_item(station, ins.id)
    assert (item.nominal, item.lower, item.upper) == (5.2, 5.1, 5.35)
    assert item.spec_note() == "from SKU R-1042 spec, rev 1"
    for it in ins.template.items():
        if it.photo_required or isinstance(it, PhotoItem):
            png = encode_png(render_piece(1, 320, 240))
            inspections.attach_evidence(station, inspector, ins.id, png, "image/png", it.id, None)
        if it.required:
            inspections.record_answer(station, inspector, ins.id, passing_answer(it, None))
    inspections.record_answer(
        station, inspector, ins.id, Answer("weight-to-spec", readings=(5.33,))
    )
    done = inspections.complete(station, inspector, ins.id)
    assert done.verdict is Verdict.PASS
    before = record_hash(station, ins.id)
    # the specification is tightened: 5.33 g would fail now
    tighter = GOOD[0].replace("0.15", "0.05")
    specs.import_file(station, supervisor, csv_file(tmp_path, tighter, name="rev2.csv"))
    assert specs.show(station, "R-1042")[0].revision == 2
    after = inspections.get(station, ins.id)
    assert after.verdict is Verdict.PASS and after.current_verdict() is Verdict.PASS
    assert weight_item(station, ins.id).upper == 5.35
    assert record_hash(station, ins.id) == before
    # a correction of it is judged by the values it was judged by, not by revision 2
    fixed = corrections.correct(station, supervisor, ins.id, "serial typed wrong")
    assert fixed.spec == after.spec
    assert weight_item(station, fixed.id).upper == 5.35
    # a new inspection takes revision 2
    new = inspections.start(station, inspector, Stage.FINAL_QC, "JT-2", "R-1042", "SN2")
    assert weight_item(station, new.id).upper == 5.25
    assert weight_item(station, new.id).spec_note() == "from SKU R-1042 spec, rev 2"
    outcome = inspections.record_answer(
        station, inspector, new.id, Answer("weight-to-spec", readings=(5.33,))
    )
    assert outcome.evaluation.outcome is Outcome.FAIL


def test_a_job_tickets_own_specification_comes_first(
    station: Station, supervisor: User, inspector: User, tmp_path: Path
) -> None:
    path = tmp_path / "job.csv"
    path.write_text(
        "sku,job_ticket,product_type,weight_g,weight_tol_minus_g,weight_tol_plus_g\n"
        "R-1042,,ring,5.2,0.1,0.1\nR-1042,JT-77,ring,6.0,0.1,0.1\n"
    )
    specs.import_file(station, supervisor, path)
    job = inspections.start(station, inspector, Stage.FINAL_QC, "JT-77", "R-1042", "SN1")
    assert weight_item(station, job.id).nominal == 6.0
    assert weight_item(station, job.id).spec_note() == "from job JT-77 spec, rev 1"
    other = inspections.start(station, inspector, Stage.FINAL_QC, "JT-78", "R-1042", "SN2")
    assert weight_item(station, other.id).nominal == 5.2


def test_without_a_specification_the_item_says_so_and_takes_only_na(
    station: Station, inspector: User
) -> None:
    ins = inspections.start(station, inspector, Stage.FINAL_QC, "JT-1", "R-NONE", "SN1")
    item = weight_item(station, ins.id)
    assert item.spec_note() == "no specification for SKU R-NONE"
    with pytest.raises(InvalidInput, match="no specification for SKU R-NONE"):
        inspections.record_answer(
            station, inspector, ins.id, Answer("weight-to-spec", readings=(5.2,))
        )
    na = Answer("weight-to-spec", outcome=Outcome.NA)
    assert inspections.record_answer(station, inspector, ins.id, na).evaluation.outcome is (
        Outcome.NA
    )


def test_a_required_item_without_its_specification_stops_the_start(
    station: Station, admin: User, inspector: User, tmp_path: Path
) -> None:
    """A checklist whose weight cannot be N/A is refused before it starts, saying why."""
    text = (Path(__file__).parents[2] / "resources/templates/final_qc.yaml").read_text()
    strict = text.replace("version: 3", "version: 4", 1).replace(
        "        decimals: {from: spec.weight_decimals}\n        allow_na: true\n",
        "        decimals: {from: spec.weight_decimals}\n",
    )
    assert strict != text
    path = tmp_path / "final_qc.yaml"
    path.write_text(strict)
    templates.import_files(station, admin, [path])
    with pytest.raises(InvalidInput) as caught:
        inspections.start(station, inspector, Stage.FINAL_QC, "JT-1", "R-NONE", "SN1")
    message = str(caught.value)
    assert "SKU R-NONE has no specification for the Final QC checklist" in message
    assert "spec.weight_g" in message and "qcstation spec import" in message
    with station.db.read() as s:
        assert s.query(InspectionRow).count() == 0  # nothing was started


def test_the_demo_skus_carry_specifications_their_inspections_are_judged_by(
    tmp_path: Path,
) -> None:
    import random

    from qcstation import config
    from qcstation.services import demo, demo_skus
    from qcstation.services.context import connect

    station = connect(config.resolve(tmp_path / "demo"))
    try:
        users = demo.ensure_demo_users(station)
        demo_skus.demo_materials(station, users["sam"])
        for spec in demo_skus.DEMO_SPECS:
            assert specs.show(station, spec.sku)[0].revision == 1
        ins_id = demo.run_inspection(station, users["ines"], Stage.FINAL_QC, random.Random(7))
        done = inspections.get(station, ins_id)
        assert done.spec is not None and done.spec.revision == 1
        item = weight_item(station, ins_id)
        assert item.spec_note() == f"from SKU {done.sku} spec, rev 1"
        answer = done.answers[("weight-to-spec", None)]
        assert (
            answer.outcome is Outcome.NA
            or item.within(answer.readings[0])
            or any(d.item_id == "weight-to-spec" for d in done.defects)
        )
    finally:
        station.close()


def test_db_upgrade_says_a_newer_checklist_judges_by_specifications(
    station: Station, admin: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    from qcstation import content
    from qcstation.services import upgrades

    assert specs.upgrade_notes(station) == []  # the shipped versions are the active ones
    # a plant still on a final QC that takes nothing from specifications
    text = (content.templates_dir() / "final_qc.yaml").read_text("utf-8")
    data = yaml.safe_load(text.replace("version: 3", "version: 4"))
    for section in data["sections"]:
        section["items"] = [
            i
            for i in section["items"]
            if not any(isinstance(v, dict) and "from" in v for v in i.values())
        ]
    older = tmp_path / "final_qc_v4.yaml"
    older.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    templates.import_files(station, admin, [older])
    newer = tmp_path / "final_qc_v5.yaml"
    newer.write_text(text.replace("version: 3", "version: 5"), "utf-8")
    monkeypatch.setattr(content, "shipped_templates", lambda: [newer])
    said = upgrades.upgrade(station).describe()
    assert "NOTE: the active Final QC checklist is version 4; version 5 judges" in said
    assert "“Gross weight against the SKU's specification”" in said
    assert f"`qcstation template import {newer}`" in said and "qcstation spec import" in said
