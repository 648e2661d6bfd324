"""Capture in its own thread, newest frame only, and a camera that comes back by itself.

    grabber = FrameGrabber(source, on_event=on_event)   # plain threads, no Qt
    grabber.start()
    frame = grabber.wait_next(timeout=0.5)   # the newest frame nobody took yet (or None)
    frame = grabber.peek()                   # the newest frame, taken or not (for capture)
    grabber.stats()                          # fps, frames, dropped, reconnects, ...
    grabber.stop()

One slot, never a queue: a frame nobody took before the next arrives is dropped (and
counted). A camera is *lost* when ``read()`` fails or no frame came for ``frame_timeout``
(1 s; a watchdog thread notices even while ``read()`` hangs); the grabber then closes it and
tries to open it again with backoff (0.25 s doubling to 2 s), for as long as it runs; the
last good frame stays available from :meth:`peek`.

``on_event(GrabberEvent)`` is called on every state change (CONNECTING, RUNNING, LOST,
RECONNECTING per attempt, ENDED, STOPPED, FAILED) and ``on_frame(Frame)`` on every frame,
both **on a grabber thread**, in order: keep them short and never call ``start``/``stop``
from them. In Qt, emit a signal from them (a queued connection brings it to the GUI thread).
A bug in a source (an exception that is not an ImagingError) emits FAILED, stops the
grabber and is re-raised in its thread, so ``threading.excepthook`` reports it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from qcstation.imaging.errors import EndOfStream, ImagingError
from qcstation.imaging.frames import Frame
from qcstation.imaging.source import CameraSource


class GrabberState(str, Enum):
    STOPPED = "stopped"
    CONNECTING = "connecting"
    RUNNING = "running"
    LOST = "lost"
    RECONNECTING = "reconnecting"
    ENDED = "ended"
    FAILED = "failed"


@dataclass(frozen=True)
class GrabberEvent:
    state: GrabberState
    previous: GrabberState
    message: str  # for a person: what happened and what is being done
    at: float  # time.monotonic()
    attempt: int = 0  # reconnection attempt (RECONNECTING)
    error: BaseException | None = None


@dataclass(frozen=True)
class GrabberStats:
    frames: int  # frames read from the source
    taken: int  # frames handed out by take()/wait_next()
    dropped: int  # frames replaced before anybody took them
    fps: float  # the source's rate over the last two seconds
    reconnects: int
    read_errors: int
    last_frame_age: float | None  # seconds since the newest frame arrived


@dataclass(frozen=True)
class Backoff:
    first: float = 0.25
    factor: float = 2.0
    maximum: float = 2.0

    def delay(self, attempt: int) -> float:
        return float(min(self.maximum, self.first * self.factor ** max(0, attempt - 1)))


class FrameGrabber:
    def __init__(
        self,
        source: CameraSource,
        *,
        on_event: Callable[[GrabberEvent], None] | None = None,
        on_frame: Callable[[Frame], None] | None = None,
        frame_timeout: float = 1.0,
        first_frame_timeout: float = 5.0,
        backoff: Backoff | None = None,
        poll: float = 0.1,
    ):
        self.source = source
        self._on_event, self._on_frame = on_event, on_frame
        self.frame_timeout, self.first_frame_timeout = frame_timeout, first_frame_timeout
        self.backoff = backoff or Backoff()
        self._poll = poll
        self._cond = threading.Condition()
        self._events = threading.RLock()  # keeps events in order across the two threads
        self._stop = threading.Event()
        self._state = GrabberState.STOPPED
        self._slot: Frame | None = None
        self._taken_flag = True
        self._frames = self._taken = self._dropped = self._reconnects = self._errors = 0
        self._times: deque[float] = deque(maxlen=240)
        self._last_at: float | None = None
        self._opened_at: float | None = None
        self._threads: list[threading.Thread] = []

    # ---------------------------------------------------------------- control
    def start(self) -> None:
        if any(t.is_alive() for t in self._threads):
            raise RuntimeError("the grabber is already running")
        self._stop.clear()
        self._emit(GrabberState.CONNECTING, f"opening {self._name()}")
        self._threads = [
            threading.Thread(target=self._run, name="qcstation-capture", daemon=True),
            threading.Thread(target=self._watch, name="qcstation-capture-watchdog", daemon=True),
        ]
        for t in self._threads:
            t.start()

    def stop(self, timeout: float = 3.0) -> bool:
        """Stop and close the source; False if the capture thread is stuck in a read
        (it closes the source itself when the read returns)."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        alive = any(t.is_alive() for t in self._threads)
        if self._state not in (GrabberState.FAILED, GrabberState.STOPPED):
            self._emit(GrabberState.STOPPED, "preview stopped")
        return not alive

    def __enter__(self) -> FrameGrabber:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def state(self) -> GrabberState:
        return self._state

    # ---------------------------------------------------------------- frames out
    def take(self) -> Frame | None:
        """The newest frame if nobody took it yet, else None (never blocks)."""
        with self._cond:
            return self._take_locked()

    def wait_next(self, timeout: float | None = None) -> Frame | None:
        """Block until a frame nobody took is there (or the timeout, or stop): take it."""
        with self._cond:
            self._cond.wait_for(lambda: not self._taken_flag or self._stop.is_set(), timeout)
            return self._take_locked()

    def peek(self) -> Frame | None:
        """The newest frame, taken or not (also the last good one while the camera is lost)."""
        with self._cond:
            return self._slot

    def stats(self) -> GrabberStats:
        now = time.monotonic()
        with self._cond:
            recent = [t for t in self._times if now - t <= 2.0]
            fps = (len(recent) - 1) / (recent[-1] - recent[0]) if len(recent) > 2 else 0.0
            age = now - self._last_at if self._last_at is not None else None
            return GrabberStats(
                self._frames, self._taken, self._dropped, fps, self._reconnects, self._errors, age
            )

    def _take_locked(self) -> Frame | None:
        if self._taken_flag:
            return None
        self._taken_flag = True
        self._taken += 1
        return self._slot

    # ---------------------------------------------------------------- the threads
    def _name(self) -> str:
        return str(getattr(self.source, "name", "") or self.source.camera_id)

    def _emit(
        self,
        state: GrabberState,
        message: str,
        *,
        when: Callable[[], bool] | None = None,
        attempt: int = 0,
        error: BaseException | None = None,
    ) -> bool:
        with self._events:
            if when is not None and not when():
                return False
            previous, self._state = self._state, state
            if self._on_event is not None:
                self._on_event(
                    GrabberEvent(state, previous, message, time.monotonic(), attempt, error)
                )
            return True

    def _run(self) -> None:
        attempt = 0
        ended = False
        try:
            while not self._stop.is_set():
                if not self.source.is_open:
                    try:
                        self.source.open()
                    except ImagingError as exc:
                        attempt += 1
                        delay = self.backoff.delay(attempt)
                        msg = f"{exc} (attempt {attempt}; trying again in {delay:.1f} s)"
                        self._emit(GrabberState.RECONNECTING, msg, attempt=attempt, error=exc)
                        self._stop.wait(delay)
                        continue
                    self._opened_at = time.monotonic()
                    attempt = 0
                try:
                    frame = self.source.read()
                except EndOfStream as exc:
                    self._emit(GrabberState.ENDED, str(exc))
                    ended = True
                    return
                except ImagingError as exc:
                    self._errors += 1
                    self._emit(
                        GrabberState.LOST,
                        f"{exc}; reconnecting automatically",
                        when=lambda: self._state is not GrabberState.LOST,
                        error=exc,
                    )
                    self._close_source()
                    self._stop.wait(self.backoff.first)
                    continue
                self._publish(frame)
        except Exception as exc:
            self._emit(
                GrabberState.FAILED, f"the camera thread stopped on a bug: {exc!r}", error=exc
            )
            self._stop.set()
            raise
        finally:
            self._close_source()
            if not ended and self._state not in (GrabberState.FAILED, GrabberState.STOPPED):
                self._emit(GrabberState.STOPPED, "preview stopped")

    def _publish(self, frame: Frame) -> None:
        now = time.monotonic()
        with self._cond:
            if not self._taken_flag:
                self._dropped += 1
            self._slot, self._taken_flag = frame, False
            self._frames += 1
            self._last_at = now
            self._times.append(now)
            self._cond.notify_all()
        if self._state is not GrabberState.RUNNING:
            back = self._state in (GrabberState.LOST, GrabberState.RECONNECTING)
            if (
                self._emit(
                    GrabberState.RUNNING,
                    f"{self._name()} is back" if back else f"{self._name()} connected",
                    when=lambda: (
                        self._state is not GrabberState.RUNNING and not self._stop.is_set()
                    ),
                )
                and back
            ):
                self._reconnects += 1
        if self._on_frame is not None:
            self._on_frame(frame)

    def _watch(self) -> None:
        while not self._stop.wait(self._poll):
            now = time.monotonic()
            last, opened = self._last_at, self._opened_at
            if self._state is GrabberState.RUNNING and last is not None:
                if now - last > self.frame_timeout:
                    self._emit(
                        GrabberState.LOST,
                        f"no picture from {self._name()} for {now - last:.1f} s; check the "
                        "cable (reconnecting automatically)",
                        when=lambda: (
                            self._state is GrabberState.RUNNING
                            and self._last_at is not None
                            and time.monotonic() - self._last_at > self.frame_timeout
                        ),
                    )
            elif (
                self._state in (GrabberState.CONNECTING, GrabberState.RECONNECTING)
                and opened is not None
                and self.source.is_open
                and now - opened > self.first_frame_timeout
                and (last is None or last < opened)
            ):
                self._emit(
                    GrabberState.LOST,
                    f"{self._name()} opened but sends no picture; check its video mode "
                    "or reconnect it",
                    when=lambda: (
                        self._state in (GrabberState.CONNECTING, GrabberState.RECONNECTING)
                    ),
                )

    def _close_source(self) -> None:
        with contextlib.suppress(ImagingError):
            self.source.close()
