"""The UI's two lanes of background work, with results delivered on the GUI thread.

- The database lane (``ctx.tasks``): one thread (not a pool) for short transactions,
  which keeps service calls in the order they were made, so an answer is never overtaken
  by the next one, and results arrive in the order the work was committed.
- The work lane (``ctx.work``): a few threads for CPU and network jobs (focus stacking,
  tick detection, golden compare, offline sync, signed documents with a time stamp, long
  reads), so a save never queues behind them. A job there is a :class:`Job`: it reports
  progress, and a person may cancel it; the job checks its token between steps and stops
  with :class:`Cancelled` before writing anything half-done. A job that needs the database
  opens short transactions of its own, never one held across its CPU or network part.

Every task has a success and an error path; a cancelled job goes to ``on_cancelled``
(never to the error path: it is not a problem).

A task may name its :class:`Owner`: what its result belongs to (an inspection, one item at
one position, a search). The screen that started it passes ``applies``, asked on arrival
whether that owner is still on screen: a result that no longer applies is dropped (the work
itself is done and committed; only showing it would be wrong), and an error is never
dropped: it goes to the default error path, so a failed save always reaches a person.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, Signal, Slot

# A work-lane thread yields the CPU to the GUI and database threads when the machine is
# busy: a nice of 10 gets it about a tenth of a normal thread's share under contention,
# and all of an idle CPU.
WORK_NICE = 10
# How long a thread computing in Python keeps the interpreter lock while another wants
# it (Python's default is 5 ms). A save gives the lock up at every SQLite call and fsync
# and must get it back each time: behind a PDF being built on the work lane, 5 ms a time
# adds up to far more than the save itself.
SWITCH_INTERVAL_S = 0.0005
_thread = threading.local()


def _yield_to_foreground() -> None:
    """Once per work-lane thread (the pool keeps its threads: they stay work threads)."""
    if getattr(_thread, "lowered", False):
        return
    _thread.lowered = True
    if sys.platform.startswith("linux"):  # Linux: a nice value is per thread
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORK_NICE)
    else:  # Windows and macOS map Qt's thread priorities onto their own
        thread = QThread.currentThread()
        if thread is not None:
            thread.setPriority(QThread.Priority.LowPriority)


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


class Cancelled(Exception):
    """A job stopped because a person asked: nothing half-done was written."""


class Job:
    """One slow job on the work lane: its name for the busy indicator, its progress, and
    the token a person cancels with. Thread-safe: the worker reads the token and reports
    progress, the GUI thread cancels."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.done = 0
        self.total = 0  # 0: no count known (a busy indicator without a bar)
        self._cancel = threading.Event()
        self._relay: _Relay | None = None

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Ask the job to stop at its next step (it may be in a call that cannot be cut
        short, such as a network connect; it stops when that returns)."""
        self._cancel.set()

    def check(self) -> None:
        """Between steps: raise :class:`Cancelled` if a person asked to stop."""
        if self._cancel.is_set():
            raise Cancelled(f"{self.label}: cancelled")

    def step(self, done: int, total: int = 0) -> None:
        """Progress so far (``done`` of ``total`` steps), and the place to stop if asked."""
        self.check()
        self.done, self.total = done, total
        if self._relay is not None:
            self._relay.progressed.emit(self, done, total)


class Once:
    """A value made once, by whichever thread asks first; the others wait for it.

    For work split across the lanes: the work lane starts encoding a photo at once, and
    the save queued on the database lane in its turn takes the result (waiting for the rest
    of it if needed, or making it itself if the work lane has not begun). The save keeps
    its place in the database lane's order, and rarely waits for the encoding."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make: Callable[[], Any] | None = make
        self._lock = threading.Lock()
        self._value: Any = None
        self._error: BaseException | None = None

    def get(self) -> Any:
        with self._lock:
            if self._make is not None:
                make, self._make = self._make, None
                try:
                    self._value = make()
                except BaseException as exc:  # kept for whoever asks: the save reports it
                    self._error = exc
        if self._error is not None:
            raise self._error
        return self._value


@dataclass
class _Delivery:
    """What to do with a result on the GUI thread (a plain object: the QRunnable that
    carried the work is deleted by the pool once it has run)."""

    on_done: Callable[[Any], None]
    on_error: Callable[[BaseException], None]
    owner: Owner | None
    applies: Callable[[Owner], bool] | None
    job: Job | None = None
    on_cancelled: Callable[[], None] | None = None


class _Relay(QObject):
    """Lives on the GUI thread; signals emitted from the worker arrive there queued."""

    succeeded = Signal(object, object)  # delivery, result
    failed = Signal(object, object)  # delivery, exception
    progressed = Signal(object, int, int)  # job, done, total


class _Task(QRunnable):
    def __init__(self, relay: _Relay, fn: Callable[[], Any], delivery: _Delivery, background: bool):
        super().__init__()
        self.relay, self.fn, self.delivery = relay, fn, delivery
        self.background = background

    def run(self) -> None:
        if self.background:
            _yield_to_foreground()
        try:
            result = self.fn()
        except BaseException as exc:  # handed to the error path, never lost in the thread
            self.relay.failed.emit(self.delivery, exc)
            return
        self.relay.succeeded.emit(self.delivery, result)


class TaskRunner(QObject):
    """Runs ``fn`` on the worker, then ``on_done(result)`` or ``on_error(exc)`` on the GUI
    thread, unless the result's owner no longer applies.

    ``threads=1`` (the database lane) runs tasks one after another in the order given;
    more (the work lane) runs independent jobs side by side, results as each ends."""

    task_started = Signal()
    task_finished = Signal()
    result_dropped = Signal(object)  # Owner: the screen had moved on when it arrived
    jobs_changed = Signal()  # a job started or ended (the busy indicator's cue)
    job_progress = Signal(object, int, int)  # Job, done, total

    def __init__(
        self,
        default_error: Callable[[BaseException], None],
        parent: QObject | None = None,
        *,
        threads: int = 1,
        name: str = "database",
        background: bool = False,
    ):
        super().__init__(parent)
        self.name = name
        self.background = background  # its threads give way to the GUI and the database lane
        if background and sys.getswitchinterval() > SWITCH_INTERVAL_S:
            sys.setswitchinterval(SWITCH_INTERVAL_S)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads)
        self._pool.setExpiryTimeout(-1)
        self._default_error = default_error
        self._relay = _Relay(self)
        self._relay.succeeded.connect(self._succeeded)
        self._relay.failed.connect(self._failed)
        self._relay.progressed.connect(self.job_progress)
        self._waiting: list[_Delivery] = []  # started, result not yet delivered, in order
        self.dropped = 0

    @property
    def pending(self) -> int:
        return len(self._waiting)

    def in_flight(self) -> list[Owner]:
        """The owners of the tasks whose results have not been delivered yet, oldest first."""
        return [d.owner for d in self._waiting if d.owner is not None]

    @property
    def jobs(self) -> list[Job]:
        """The jobs started and not yet delivered, oldest first."""
        return [d.job for d in self._waiting if d.job is not None]

    def cancel_all(self) -> None:
        for job in self.jobs:
            job.cancel()

    def _arrived(self, delivery: _Delivery) -> bool:
        """Done with its bookkeeping; True when its result is still wanted."""
        self._waiting.remove(delivery)
        self.task_finished.emit()
        if delivery.job is not None:
            self.jobs_changed.emit()
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
        if isinstance(exc, Cancelled) and delivery.job is not None and delivery.job.cancelled:
            self._arrived(delivery)  # asked for: nothing to report, wherever the screen is
            if delivery.on_cancelled is not None:
                delivery.on_cancelled()
            return
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
        self._submit(fn, delivery)

    def start_job(
        self,
        fn: Callable[[Job], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        *,
        label: str,
        on_cancelled: Callable[[], None] | None = None,
        owner: Owner | None = None,
        applies: Callable[[Owner], bool] | None = None,
        job: Job | None = None,
    ) -> Job:
        """A slow job: ``fn(job)`` calls ``job.step(done, total)`` between its steps (which
        reports progress and raises :class:`Cancelled` when asked to stop)."""
        job = job or Job(label)
        job._relay = self._relay
        delivery = _Delivery(
            on_done or (lambda _r: None),
            on_error or self._default_error,
            owner,
            applies,
            job,
            on_cancelled,
        )

        def run() -> Any:
            job.check()  # cancelled before it began: nothing at all
            return fn(job)

        self._submit(run, delivery)
        self.jobs_changed.emit()
        return job

    def _submit(self, fn: Callable[[], Any], delivery: _Delivery) -> None:
        self._waiting.append(delivery)
        self.task_started.emit()
        self._pool.start(_Task(self._relay, fn, delivery, self.background))

    def wait(self, msecs: int = 30000) -> bool:
        """Block until queued work is done (shutdown and tests only)."""
        return self._pool.waitForDone(msecs)
