"""Golden vectors: fixed inputs and the exact bytes and SHA-256 digests they must give.

Signatures, sealed audit entries and certificates made today are checked years from now,
by another qcstation, on another machine, database and Python. So the spellings below
are frozen: the canonical record JSON and its hash (domain/records.py, domain/signing.py),
the signature manifest's bytes, and the audit chain's entry hash and seal message
(store/audit.py), in both its formats: 1, the single plant chain, and 2, one chain per
station (migration 0012), which still verifies every entry of format 1.

Changing this means a new format version: an expected value here changes only with a new
RECORD_FORMAT, MANIFEST_FORMAT or audit entry format, the old one still verified. If one
of these tests fails, the code changed a format: put the code back, do not edit the vector.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from qcstation.domain.defects import Defect, Disposition, Severity
from qcstation.domain.inspections import Answer, Inspection, Outcome, Status, Verdict
from qcstation.domain.records import canonical_json, record_hash, sha256_hex
from qcstation.domain.signing import (
    MANIFEST_FORMAT,
    RECORD_FORMAT,
    RECORD_FORMAT_SPEC,
    CorrectionInfo,
    EvidenceRef,
    Manifest,
    Meaning,
    canonical_record,
    inspection_record_hash,
)
from qcstation.domain.specs import Frozen
from qcstation.domain.templates import ChecklistTemplate
from qcstation.store.audit import (
    GENESIS,
    SEAL_FORMAT,
    SEAL_FORMAT_2,
    entry_hash,
    entry_seal,
    hashed_fields,
    seal_message,
    seal_message_2,
)
from qcstation.store.models import AuditEntry

CET = timezone(timedelta(hours=1))

# ---- canonical JSON (domain/records.py) --------------------------------------------------

# One of each kind of value, with the spellings that must not drift: keys sorted, no
# spaces, non-ASCII kept as UTF-8, 1.0 as 1, Decimal as a number, every time in UTC with
# microseconds (a naive time is taken as UTC), dates as ISO, enums as their value.
VALUE = {
    "b": [1.0, 2.5, Decimal("0.10")],
    "a": "Ø 2,5 mm — ok",
    "when": datetime(2026, 11, 25, 9, 30, tzinfo=CET),
    "naive": datetime(2026, 1, 2, 3, 4, 5, 6),
    "day": date(2026, 2, 28),
    "none": None,
    "yes": True,
    "n": -7,
    "e": Outcome.FAIL,
}
VALUE_JSON = (
    '{"a":"Ø 2,5 mm — ok","b":[1,2.5,0.1],"day":"2026-02-28","e":"fail","n":-7,'
    '"naive":"2026-01-02T03:04:05.000006+00:00","none":null,'
    '"when":"2026-11-25T08:30:00.000000+00:00","yes":true}'
)
VALUE_SHA256 = "c3606a3084bd377109ada0491bddf39bacf67ff33377f1b37c42c39213ed08f7"


def test_canonical_json_and_its_hash() -> None:
    assert canonical_json(VALUE) == VALUE_JSON
    assert record_hash(VALUE) == VALUE_SHA256
    assert sha256_hex(VALUE_JSON.encode("utf-8")) == VALUE_SHA256  # UTF-8 of that text


# ---- the canonical inspection record (domain/signing.py) --------------------------------

TEMPLATE = ChecklistTemplate.model_validate(
    {
        "template": "ring-final",
        "version": 7,
        "stage": "final_qc",
        "name": "Ring final QC",
        "sections": [
            {"title": "S", "items": [{"id": "finish", "kind": "pass_fail", "prompt": "Finish"}]}
        ],
    }
)
INSPECTION_ID = "01JDX3K9Q4ZP7W8V6N5M2B1C0A"


def inspection() -> Inspection:
    ins = Inspection(
        id=INSPECTION_ID,
        template=TEMPLATE,
        job_ticket="JT-2026-0412",
        sku="RG-18K-052",
        serial="SN-000917",
        position_counts={"finish": 1},
        status=Status.COMPLETED,
        inspector="ines",
        station="bench-3",
        started_at=datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc),
        completed_at=datetime(2026, 11, 25, 9, 12, 30, 250000, tzinfo=CET),
        verdict=Verdict.FAIL,
    )
    # answers are given out of order: the record sorts them
    ins.answers[("width", None)] = Answer("width", readings=(2.50, 2.5, 3.0), note="µm-level check")
    ins.answers[("finish", None)] = Answer(
        "finish", outcome=Outcome.FAIL, note="pits near the shank"
    )
    ins.defects.append(Defect("SCRATCH", Severity.MINOR, None, None))
    ins.defects.append(
        Defect("POROSITY", Severity.MAJOR, "finish", None, Disposition.REWORK, "three pits")
    )
    return ins


EVIDENCE = [
    EvidenceRef("0123456789abcdef" * 4, "image/jpeg", None, None),
    EvidenceRef("9" * 64, "image/png", "finish", None),
]
CORRECTION = CorrectionInfo(
    "01JDX2AAAAAAAAAAAAAAAAAAAA",
    2,
    "serial typed wrong",
    "sam",
    datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc),
)
RECORD_JSON = (
    '{"answers":[{"item":"finish","note":"pits near the shank","outcome":"fail",'
    '"position":null,"readings":[],"value":null},{"item":"width","note":"µm-level check",'
    '"outcome":null,"position":null,"readings":[2.5,2.5,3],"value":null}],'
    '"completed_at":"2026-11-25T08:12:30.250000+00:00",'
    '"correction":{"reason":"serial typed wrong","revision":2,'
    '"supersedes":"01JDX2AAAAAAAAAAAAAAAAAAAA"},'
    '"defects":[{"code":"POROSITY","disposition":"rework","item":"finish",'
    '"note":"three pits","position":null,"severity":"major"},{"code":"SCRATCH",'
    '"disposition":"pending","item":null,"note":"","position":null,"severity":"minor"}],'
    '"evidence":[{"item":"finish","media_type":"image/png","position":null,'
    '"sha256":"9999999999999999999999999999999999999999999999999999999999999999"},'
    '{"item":null,"media_type":"image/jpeg","position":null,'
    '"sha256":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}],'
    '"format":"qcstation-inspection-record/1","inspection":"01JDX3K9Q4ZP7W8V6N5M2B1C0A",'
    '"inspector":"ines","job_ticket":"JT-2026-0412","lot_size":null,'
    '"position_counts":{"finish":1},"sample_size":null,"serial":"SN-000917",'
    '"sku":"RG-18K-052","stage":"final_qc","started_at":"2026-11-25T08:00:00.000000+00:00",'
    '"station":"bench-3","status":"completed","subject":"piece",'
    '"template":{"key":"ring-final","version":7},"verdict":"fail"}'
)
RECORD_SHA256 = "b21998c1f34312e4e87793253bffcccdbfbcd4362751554404e992ba82f61ca0"
RECORD_WITHOUT_CORRECTION_SHA256 = (
    "6fb9eeddeb3cb810c5e323cb3b6249434aa2a22afd9e329e75b69b532576f068"
)


def test_the_canonical_inspection_record_and_its_hash() -> None:
    assert RECORD_FORMAT == "qcstation-inspection-record/1"
    assert canonical_json(canonical_record(inspection(), EVIDENCE, CORRECTION)) == RECORD_JSON
    assert inspection_record_hash(inspection(), EVIDENCE, CORRECTION) == RECORD_SHA256
    assert sha256_hex(RECORD_JSON) == RECORD_SHA256
    assert inspection_record_hash(inspection(), EVIDENCE) == RECORD_WITHOUT_CORRECTION_SHA256


# Format 2 (domain/specs.py): the same record, with the specification values it froze.
# Only a record that froze some is written in it; format 1 above stays what it was.
FROZEN = Frozen(
    sku="RG-18K-052",
    revision=3,
    items={"width": {"nominal": 2.5, "lower": 2.4, "upper": 2.6, "decimals": 2}},
    missing={"weight": ("weight_g",)},
)
RECORD_2_JSON = RECORD_JSON.replace(
    "qcstation-inspection-record/1", "qcstation-inspection-record/2"
).replace(
    '"sku":"RG-18K-052",',
    '"sku":"RG-18K-052","spec":{"items":{"width":{"decimals":2,"lower":2.4,"nominal":2.5,'
    '"upper":2.6}},"job_ticket":"","missing":{"weight":["weight_g"]},"revision":3,'
    '"sku":"RG-18K-052"},',
)
RECORD_2_SHA256 = "17bf6527317c78ce965e97686128a85c43d8b0551722e93fb8befc9abfa9b91a"


def test_the_canonical_record_with_frozen_specification_values() -> None:
    assert RECORD_FORMAT_SPEC == "qcstation-inspection-record/2"
    ins = inspection()
    ins.spec = FROZEN
    assert canonical_json(canonical_record(ins, EVIDENCE, CORRECTION)) == RECORD_2_JSON
    assert inspection_record_hash(ins, EVIDENCE, CORRECTION) == RECORD_2_SHA256
    assert sha256_hex(RECORD_2_JSON) == RECORD_2_SHA256


# ---- the signature manifest (domain/signing.py) -----------------------------------------

MANIFEST = Manifest(
    INSPECTION_ID,
    RECORD_SHA256,
    Meaning.PERFORMED,
    "ines",
    "Inès Ø'Brien",
    "inspector",
    datetime(2026, 11, 25, 9, 13, tzinfo=timezone.utc),
    "2026-11-25T10:13:00+01:00 (CET)",
    "ab" * 32,
)
MANIFEST_BYTES = (
    '{"format":"qcstation-signature-manifest/1","inspection":"01JDX3K9Q4ZP7W8V6N5M2B1C0A",'
    '"key_id":"abababababababababababababababababababababababababababababababab",'
    '"meaning":"performed","printed_name":"Inès Ø\'Brien",'
    '"record_sha256":"b21998c1f34312e4e87793253bffcccdbfbcd4362751554404e992ba82f61ca0",'
    '"role":"inspector","signed_at_local":"2026-11-25T10:13:00+01:00 (CET)",'
    '"signed_at_utc":"2026-11-25T09:13:00.000000+00:00","username":"ines"}'
).encode()
MANIFEST_SHA256 = "8dd2fe1daf5695c95e287694ed1af944d42dcf2d84dc420b02b941facfb062c2"


def test_the_signed_manifest_bytes() -> None:
    assert MANIFEST_FORMAT == "qcstation-signature-manifest/1"
    assert MANIFEST.encoded() == MANIFEST_BYTES  # what a signature is computed over
    assert sha256_hex(MANIFEST.encoded()) == MANIFEST_SHA256


# ---- the audit chain (store/audit.py) ----------------------------------------------------

FIRST = {
    "id": 1,
    "at": datetime(2026, 11, 25, 8, 0, 0, 123456, tzinfo=timezone.utc),
    "actor": "ines",
    "station": "bench-3",
    "entity": "inspections",
    "entity_id": INSPECTION_ID,
    "action": "insert",
    "old": None,
    "new": '{"serial":"SN-000917","verdict":null}',
    "reason": "",
}
SECOND = {
    **FIRST,
    "id": 2,
    "action": "update",
    "old": FIRST["new"],
    "new": '{"serial":"SN-000917","verdict":"fail"}',
    "reason": "finished",
}
FIRST_HASH = "4f127550688a4eb07dfeb5e63ee14d5e2bab966a04f6af9d8d77f73b8dae63bb"
SECOND_HASH = "a6b3df9da1d7ed285620462197e72607d73dc7f47d90c7e511f5f1fadba02afe"


def test_the_audit_entry_hash_links_the_chain() -> None:
    assert GENESIS == "0" * 64
    assert entry_hash(FIRST, GENESIS) == FIRST_HASH
    assert entry_hash(SECOND, FIRST_HASH) == SECOND_HASH
    # the stored row gives the same hash as its fields
    row = AuditEntry(**SECOND, prev_hash=FIRST_HASH)
    assert entry_hash(row, FIRST_HASH) == SECOND_HASH
    # the link is SHA-256 of the previous hash followed by the entry's canonical JSON
    assert sha256_hex(FIRST_HASH + canonical_json(SECOND)) == SECOND_HASH


def test_the_audit_seal_message() -> None:
    assert SEAL_FORMAT == "qcstation-audit-seal/1"
    assert seal_message("chain-7f3a", 2, SECOND_HASH) == (
        b"qcstation-audit-seal/1\nchain-7f3a\n2\n"
        b"a6b3df9da1d7ed285620462197e72607d73dc7f47d90c7e511f5f1fadba02afe"
    )


# Format 2 (migration 0012): an entry of a station's chain also hashes its chain and its
# place there; a station chain starts from the plant chain's last hash (here SECOND_HASH).
THIRD = {
    **SECOND,
    "id": 7,
    "old": SECOND["new"],
    "new": '{"serial":"SN-000917","verdict":"pass"}',
    "reason": "re-inspected",
    "chain": "bench-3",
    "seq": 1,
}
THIRD_HASH = "6eddc95cf7077fa79f36386990d9b0096c0ad4b6e7050d23d377d77dd65a0c56"


def test_a_station_chain_entry_hashes_its_chain_and_place() -> None:
    assert entry_hash(THIRD, SECOND_HASH) == THIRD_HASH
    assert sha256_hex(SECOND_HASH + canonical_json(THIRD)) == THIRD_HASH
    row = AuditEntry(**THIRD, prev_hash=SECOND_HASH)
    assert entry_hash(row, SECOND_HASH) == THIRD_HASH
    # moved to another chain, or to another place in it, the hash is another
    assert entry_hash({**THIRD, "chain": "bench-4"}, SECOND_HASH) != THIRD_HASH
    assert entry_hash({**THIRD, "seq": 2}, SECOND_HASH) != THIRD_HASH
    # a row of format 1 (no chain) still hashes as format 1
    old = AuditEntry(**SECOND, prev_hash=FIRST_HASH, chain=None, seq=None)
    assert hashed_fields(old) == SECOND and entry_hash(old, FIRST_HASH) == SECOND_HASH


def test_the_audit_seal_message_of_a_station_chain() -> None:
    assert SEAL_FORMAT_2 == "qcstation-audit-seal/2"
    assert seal_message_2("chain-7f3a", "bench-3", 1, 7, THIRD_HASH) == (
        b"qcstation-audit-seal/2\nchain-7f3a\nbench-3\n1\n7\n"
        b"6eddc95cf7077fa79f36386990d9b0096c0ad4b6e7050d23d377d77dd65a0c56"
    )
    # each entry is sealed in its own format
    assert entry_seal("chain-7f3a", {**THIRD, "hash": THIRD_HASH}) == seal_message_2(
        "chain-7f3a", "bench-3", 1, 7, THIRD_HASH
    )
    assert entry_seal("chain-7f3a", {**SECOND, "chain": None, "hash": SECOND_HASH}) == (
        seal_message("chain-7f3a", 2, SECOND_HASH)
    )
