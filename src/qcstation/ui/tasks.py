"""One worker thread for database and file work, with results delivered on the GUI thread.

A single thread (not a pool) keeps service calls in the order they were made, so an
answer is never overtaken by the next one; every task has a success and an error path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot


class _Relay(QObject):
    """Lives on the GUI thread; signals emitted from the worker arrive there queued."""

    succeeded = Signal(object, object)  # callback, result
    failed = Signal(object, object)  # callback, exception


class _Task(QRunnable):
    def __init__(self, relay: _Relay, fn: Callable[[], Any], ok: Any, err: Any):
        super().__init__()
        self.relay, self.fn, self.ok, self.err = relay, fn, ok, err

    def run(self) -> None:
        try:
            result = self.fn()
        except BaseException as exc:  # handed to the error path, never lost in the thread
            self.relay.failed.emit(self.err, exc)
            return
        self.relay.succeeded.emit(self.ok, result)


class TaskRunner(QObject):
    """Runs ``fn`` on the worker, then ``on_done(result)`` or ``on_error(exc)`` on the GUI
    thread."""

    task_started = Signal()
    task_finished = Signal()

    def __init__(
        self, default_error: Callable[[BaseException], None], parent: QObject | None = None
    ):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._pool.setExpiryTimeout(-1)
        self._default_error = default_error
        self._relay = _Relay(self)
        self._relay.succeeded.connect(self._finish)
        self._relay.failed.connect(self._finish)
        self.pending = 0

    @Slot(object, object)
    def _finish(self, callback: Callable[[Any], None], value: Any) -> None:
        self.pending -= 1
        self.task_finished.emit()
        callback(value)

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.pending += 1
        self.task_started.emit()
        self._pool.start(
            _Task(self._relay, fn, on_done or (lambda _r: None), on_error or self._default_error)
        )

    def wait(self, msecs: int = 30000) -> bool:
        """Block until queued work is done (shutdown and tests only)."""
        return self._pool.waitForDone(msecs)
