"""The worker: results in the order the work was given, and applied only where they still
belong; an error is never dropped."""

from __future__ import annotations

import threading

from pytestqt.qtbot import QtBot

from qcstation.services.errors import Conflict
from qcstation.ui.tasks import Owner, TaskRunner


def test_results_arrive_in_order_and_stale_ones_are_dropped(qtbot: QtBot) -> None:
    errors: list[BaseException] = []
    runner = TaskRunner(errors.append)
    shown: list[str] = []
    current = {"inspection": "A"}
    gate = threading.Event()

    def applies(owner: Owner) -> bool:
        return owner.inspection_id == current["inspection"]

    def slow() -> str:
        gate.wait(10)
        return "first"

    runner.run(slow, shown.append, owner=Owner("A", "fill"), applies=applies)
    runner.run(lambda: "second", shown.append, owner=Owner("A", "porosity"), applies=applies)
    assert [o.key for o in runner.in_flight()] == [("fill", None), ("porosity", None)]
    current["inspection"] = "B"  # the screen moved on to another inspection meanwhile
    runner.run(lambda: "third", shown.append, owner=Owner("B", "fill"), applies=applies)
    dropped: list[Owner] = []
    runner.result_dropped.connect(dropped.append)
    gate.set()
    qtbot.waitUntil(lambda: runner.pending == 0)
    assert shown == ["third"]
    assert [o.key for o in dropped] == [("fill", None), ("porosity", None)]
    assert runner.dropped == 2 and errors == []
    runner.wait()


def test_an_error_for_a_screen_that_moved_on_still_reaches_a_person(qtbot: QtBot) -> None:
    errors: list[BaseException] = []
    runner = TaskRunner(errors.append)
    own_handler: list[BaseException] = []

    def refused() -> None:
        raise Conflict("inspection A is completed; it can no longer change")

    runner.run(
        refused,
        on_error=own_handler.append,
        owner=Owner("A", "fill"),
        applies=lambda _owner: False,
    )
    qtbot.waitUntil(lambda: runner.pending == 0)
    assert own_handler == []  # the page that asked is gone ...
    assert [str(e) for e in errors] == ["inspection A is completed; it can no longer change"]
    runner.wait()
