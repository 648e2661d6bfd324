"""One worker thread for database and file work, with results delivered on the GUI thread.

A single thread (not a pool) keeps service calls in the order they were made, so an
answer is never overtaken by the next one, and results arrive in the order the work was
committed; every task has a success and an error path.

A task may name its :class:`Owner`: what its result belongs to (an inspection, one item at
one position, a search). The screen that started it passes ``applies``, asked on arrival
whether that owner is still on screen: a result that no longer applies is dropped (the work
itself is done and committed; only showing it would be wrong), and an error is never
dropped: it goes to the default error path, so a failed save always reaches a person.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot


@dataclass(frozen=True)
class Owner:
    """What a task's result belongs to. ``generation`` tells a newer search or reload from
    an older one of the same screen."""

    inspection_id: str | None = None
    item_id: str | None = None
    position: int | None = None
    generation: int | None = None

    @property
    def key(self) -> tuple[str, int | None] | None:
        """The (item, position) it belongs to, if it belongs to one item."""
        return None if self.item_id is None else (self.item_id, self.position)


@dataclass
class _Delivery:
    """What to do with a result on the GUI thread (a plain object: the QRunnable that
    carried the work is deleted by the pool once it has run)."""

    on_done: Callable[[Any], None]
    on_error: Callable[[BaseException], None]
    owner: Owner | None
    applies: Callable[[Owner], bool] | None


class _Relay(QObject):
    """Lives on the GUI thread; signals emitted from the worker arrive there queued."""

    succeeded = Signal(object, object)  # delivery, result
    failed = Signal(object, object)  # delivery, exception


class _Task(QRunnable):
    def __init__(self, relay: _Relay, fn: Callable[[], Any], delivery: _Delivery):
        super().__init__()
        self.relay, self.fn, self.delivery = relay, fn, delivery

    def run(self) -> None:
        try:
            result = self.fn()
        except BaseException as exc:  # handed to the error path, never lost in the thread
            self.relay.failed.emit(self.delivery, exc)
            return
        self.relay.succeeded.emit(self.delivery, result)


class TaskRunner(QObject):
    """Runs ``fn`` on the worker, then ``on_done(result)`` or ``on_error(exc)`` on the GUI
    thread, unless the result's owner no longer applies."""

    task_started = Signal()
    task_finished = Signal()
    result_dropped = Signal(object)  # Owner: the screen had moved on when it arrived

    def __init__(
        self, default_error: Callable[[BaseException], None], parent: QObject | None = None
    ):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._pool.setExpiryTimeout(-1)
        self._default_error = default_error
        self._relay = _Relay(self)
        self._relay.succeeded.connect(self._succeeded)
        self._relay.failed.connect(self._failed)
        self._waiting: list[_Delivery] = []  # started, result not yet delivered, in order
        self.dropped = 0

    @property
    def pending(self) -> int:
        return len(self._waiting)

    def in_flight(self) -> list[Owner]:
        """The owners of the tasks whose results have not been delivered yet, oldest first."""
        return [d.owner for d in self._waiting if d.owner is not None]

    def _arrived(self, delivery: _Delivery) -> bool:
        """Done with its bookkeeping; True when its result is still wanted."""
        self._waiting.remove(delivery)
        self.task_finished.emit()
        owner, applies = delivery.owner, delivery.applies
        return owner is None or applies is None or applies(owner)

    @Slot(object, object)
    def _succeeded(self, delivery: _Delivery, result: Any) -> None:
        if self._arrived(delivery):
            delivery.on_done(result)
        else:
            self.dropped += 1
            self.result_dropped.emit(delivery.owner)

    @Slot(object, object)
    def _failed(self, delivery: _Delivery, exc: BaseException) -> None:
        if self._arrived(delivery):
            delivery.on_error(exc)
        else:  # the screen that asked is gone, but the person must still hear of it
            self._default_error(exc)

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        *,
        owner: Owner | None = None,
        applies: Callable[[Owner], bool] | None = None,
    ) -> None:
        delivery = _Delivery(
            on_done or (lambda _r: None), on_error or self._default_error, owner, applies
        )
        self._waiting.append(delivery)
        self.task_started.emit()
        self._pool.start(_Task(self._relay, fn, delivery))

    def wait(self, msecs: int = 30000) -> bool:
        """Block until queued work is done (shutdown and tests only)."""
        return self._pool.waitForDone(msecs)
