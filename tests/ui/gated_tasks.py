"""A task runner whose results arrive when the test says so, as from a slow database.

It is the real runner (one worker, results on the GUI thread, in order); while ``holding``
is on, the worker, once a task's work is done and committed, waits until the test releases
that task. So the database is ahead of the screen, exactly as when a save is still on its
way back, and every later task waits behind it, as on the one real worker.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from qcstation.ui.context import UiContext
from qcstation.ui.tasks import TaskRunner

GATE_TIMEOUT_S = 120  # a forgotten gate frees itself rather than hang the suite forever


class GatedRunner(TaskRunner):
    def __init__(self, default_error: Callable[[BaseException], None]):
        super().__init__(default_error)
        self.holding = False
        self._gates: deque[threading.Event] = deque()  # closed gates, oldest first
        self._order: deque[threading.Event | None] = deque()  # undelivered tasks, in order
        self.task_finished.connect(self._order.popleft)

    def run(self, fn: Callable[[], Any], *args: Any, **kwargs: Any) -> None:
        gate = threading.Event() if self.holding else None
        self._order.append(gate)
        if gate is None:
            super().run(fn, *args, **kwargs)
            return
        self._gates.append(gate)

        def gated() -> Any:
            try:
                return fn()
            finally:
                gate.wait(GATE_TIMEOUT_S)

        super().run(gated, *args, **kwargs)

    @property
    def held(self) -> int:
        return len(self._gates)

    def quiet(self) -> bool:
        """Nothing more arrives until the test opens a gate (or nothing is left at all)."""
        return not self._order or (self._order[0] is not None and not self._order[0].is_set())

    def release(self, n: int = 1) -> None:
        """Let the oldest ``n`` held tasks finish (their results then arrive in order)."""
        for _ in range(min(n, len(self._gates))):
            self._gates.popleft().set()

    def release_all(self) -> None:
        self.holding = False
        self.release(len(self._gates))


def gate(ctx: UiContext) -> Iterator[GatedRunner]:
    """Put a gated runner under a window's context (while nothing runs), for a fixture."""
    ctx.tasks.wait()
    runner = GatedRunner(ctx.errors.report)
    ctx.tasks = runner
    try:
        yield runner
    finally:
        runner.release_all()
        runner.wait()
