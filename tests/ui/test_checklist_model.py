"""The model-based test of the checklist (tests/ui/checklist_model.py), bounded for the
suite: a few walks of random keys, readings, fails, defect forms, captures and late
results on the real window, compared with the database and the services' verdict after
every step; in a comma locale and in a point locale. The long run is
bench/checklist_model.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from PySide6.QtCore import QLocale
from tests.ui.checklist_model import ENGLISH, GERMAN, Bench, machine_for

pytestmark = pytest.mark.slow

WALKS = {"de": 15, "en": 10}


@pytest.fixture(params=[(GERMAN, ",."), (ENGLISH, ".,")], ids=["de", "en"])
def bench(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Bench]:
    locale, separators = request.param
    b = Bench(tmp_path, locale, separators)
    yield b
    b.close()


def test_the_checklist_shows_what_is_stored_whatever_the_keys_and_delays(bench: Bench) -> None:
    name = QLocale().name()[:2]
    run_state_machine_as_test(
        machine_for(bench),
        settings=settings(
            max_examples=WALKS[name],
            stateful_step_count=30,
            deadline=None,
            derandomize=True,  # the same walks every run; the bench walks at random
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    assert bench.walks >= WALKS[name]
    assert (
        bench.seen["answers saved"] > 0 and bench.seen["answers given while results were late"] > 0
    )
