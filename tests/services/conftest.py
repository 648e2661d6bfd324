"""Fixtures for signing, reports and certificates: users with issued keys, finished records."""

from __future__ import annotations

import pytest

from qcstation.domain.inspections import positions_of
from qcstation.domain.stages import Stage
from qcstation.domain.templates import PhotoItem
from qcstation.domain.users import User
from qcstation.imaging.scenes import encode_jpeg, encode_png, render_piece
from qcstation.services import inspections, keys
from qcstation.services.context import Station
from qcstation.services.demo_answers import passing_answer


def finish(
    station: Station,
    user: User,
    stage: Stage = Stage.FINAL_QC,
    serial: str = "SN1",
    complete: bool = True,
) -> str:
    """An inspection answered all-pass (photos where asked, PNG and JPEG), then completed."""
    ins = inspections.start(station, user, stage, "JT-9", "RG-SOL-0412", serial)
    n = 0
    for item in ins.template.items():
        for pos in positions_of(item, ins.position_counts):
            if item.photo_required or isinstance(item, PhotoItem):
                n += 1
                img = render_piece(n, 320, 240)
                data, kind = (
                    (encode_jpeg(img), "image/jpeg") if n % 2 else (encode_png(img), "image/png")
                )
                inspections.attach_evidence(station, user, ins.id, data, kind, item.id, pos)
            a = passing_answer(item, pos)
            inspections.record_answer(station, user, ins.id, a)
    if complete:
        inspections.complete(station, user, ins.id)
    return ins.id


@pytest.fixture
def issued(station: Station, admin: User, inspector: User, supervisor: User, password: str) -> None:
    """The fixture users' certificates, issued with the root passphrase (= admin password)."""
    keys.issue_pending(station, admin, password)


@pytest.fixture
def completed(station: Station, inspector: User, issued: None) -> str:
    return finish(station, inspector)
