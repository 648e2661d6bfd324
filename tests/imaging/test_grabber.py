"""The capture thread: newest frame only, lost cameras reported and reconnected."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from qcstation.imaging.errors import CameraNotFound
from qcstation.imaging.files import VideoFileSource
from qcstation.imaging.frames import Frame
from qcstation.imaging.grabber import Backoff, FrameGrabber, GrabberEvent, GrabberState

WAIT = 20.0  # generous: these are waits for something to happen, not timing claims
FAST = Backoff(first=0.05, factor=2.0, maximum=0.2)


class Events:
    def __init__(self) -> None:
        self.items: list[GrabberEvent] = []
        self.cond = threading.Condition()

    def __call__(self, ev: GrabberEvent) -> None:
        with self.cond:
            self.items.append(ev)
            self.cond.notify_all()

    def states(self) -> list[GrabberState]:
        with self.cond:
            return [e.state for e in self.items]

    def wait_for(self, pred: Callable[[list[GrabberEvent]], bool]) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: pred(self.items), WAIT), self.states()

    def wait_state(self, state: GrabberState, after: int = 0) -> GrabberEvent:
        self.wait_for(lambda items: any(e.state is state for e in items[after:]))
        with self.cond:
            return next(e for e in self.items[after:] if e.state is state)


def wait_frames(grabber: FrameGrabber, n: int) -> list[Frame]:
    got: list[Frame] = []
    deadline = time.monotonic() + WAIT
    while len(got) < n and time.monotonic() < deadline:
        f = grabber.wait_next(timeout=1.0)
        if f is not None:
            got.append(f)
    assert len(got) == n
    return got


def test_frames_flow_and_stats(make_camera: Callable[..., object]) -> None:
    events = Events()
    with FrameGrabber(make_camera(), on_event=events) as g:  # type: ignore[arg-type]
        frames = wait_frames(g, 5)
        assert [f.seq for f in frames] == sorted(f.seq for f in frames)
        assert frames[0].image.shape == (120, 160, 3)
        stats = g.stats()
        assert stats.frames >= 5 and stats.taken >= 5 and stats.reconnects == 0
    assert events.states()[:2] == [GrabberState.CONNECTING, GrabberState.RUNNING]
    assert events.states()[-1] is GrabberState.STOPPED


def test_newest_frame_only_never_a_queue(make_camera: Callable[..., object]) -> None:
    cam = make_camera(realtime=False)
    with FrameGrabber(cam) as g:  # type: ignore[arg-type]
        first = wait_frames(g, 1)[0]
        deadline = time.monotonic() + WAIT
        while g.stats().frames < first.seq + 20 and time.monotonic() < deadline:
            time.sleep(0.01)  # a consumer far slower than the camera
        newest = g.take()
        assert newest is not None and newest.seq > first.seq
        assert g.take() is None  # nothing queued behind it
        assert g.stats().dropped > 0
        peeked = g.peek()
        assert peeked is not None and peeked.seq >= newest.seq


def test_reconnects_after_unplug(make_camera: Callable[..., object]) -> None:
    cam = make_camera()
    events = Events()
    g = FrameGrabber(cam, on_event=events, backoff=FAST)  # type: ignore[arg-type]
    g.start()
    try:
        events.wait_state(GrabberState.RUNNING)
        before = wait_frames(g, 2)[-1]
        mark = len(events.items)
        cam.unplug()  # type: ignore[attr-defined]
        lost = events.wait_state(GrabberState.LOST, mark)
        assert "USB cable" in lost.message and "reconnecting" in lost.message
        retry = events.wait_state(GrabberState.RECONNECTING, mark)
        assert isinstance(retry.error, CameraNotFound) and retry.attempt >= 1
        assert g.peek() is not None  # the last good frame stays available
        cam.replug()  # type: ignore[attr-defined]
        back = events.wait_state(GrabberState.RUNNING, mark)
        assert "is back" in back.message
        after = wait_frames(g, 2)[-1]
        assert after.seq > before.seq
        assert g.stats().reconnects == 1
    finally:
        g.stop()


def test_a_stalled_camera_is_reported_by_the_watchdog(make_camera: Callable[..., object]) -> None:
    cam = make_camera(stall_timeout=30.0)
    events = Events()
    g = FrameGrabber(cam, on_event=events, frame_timeout=0.3, backoff=FAST)  # type: ignore[arg-type]
    g.start()
    try:
        events.wait_state(GrabberState.RUNNING)
        mark = len(events.items)
        cam.unplug(stall=True)  # type: ignore[attr-defined]  # read() hangs, no error
        lost = events.wait_state(GrabberState.LOST, mark)
        assert "no picture" in lost.message
        cam.replug()  # type: ignore[attr-defined]
        events.wait_state(GrabberState.RUNNING, mark)
        wait_frames(g, 1)
    finally:
        g.stop()


def test_no_camera_at_start_keeps_trying(make_camera: Callable[..., object]) -> None:
    cam = make_camera()
    cam.unplug()  # type: ignore[attr-defined]
    events = Events()
    g = FrameGrabber(cam, on_event=events, backoff=FAST)  # type: ignore[arg-type]
    g.start()
    try:
        events.wait_for(lambda items: sum(e.state is GrabberState.RECONNECTING for e in items) >= 2)
        first = events.wait_state(GrabberState.RECONNECTING)
        assert "not connected" in first.message and "plug it in" in first.message
        cam.replug()  # type: ignore[attr-defined]
        events.wait_state(GrabberState.RUNNING)
        wait_frames(g, 1)
    finally:
        assert g.stop()


def test_video_file_ends(video: Path) -> None:
    events = Events()
    src = VideoFileSource(video, loop=False, realtime=False)
    with FrameGrabber(src, on_event=events) as g:
        events.wait_state(GrabberState.ENDED)
        assert g.stats().frames == 12


def test_a_bug_in_a_source_fails_loudly(make_camera: Callable[..., object]) -> None:
    cam = make_camera()

    def broken() -> Frame:
        raise ZeroDivisionError("bug")

    cam.read = broken  # type: ignore[attr-defined, method-assign]
    events = Events()
    seen: list[BaseException] = []
    old = threading.excepthook
    threading.excepthook = lambda args: seen.append(args.exc_value)  # type: ignore[assignment,arg-type]
    try:
        g = FrameGrabber(cam, on_event=events)  # type: ignore[arg-type]
        g.start()
        failed = events.wait_state(GrabberState.FAILED)
        assert isinstance(failed.error, ZeroDivisionError)
        g.stop()
    finally:
        threading.excepthook = old
    assert any(isinstance(e, ZeroDivisionError) for e in seen)


def test_cannot_start_twice(make_camera: Callable[..., object]) -> None:
    g = FrameGrabber(make_camera())  # type: ignore[arg-type]
    g.start()
    try:
        with pytest.raises(RuntimeError):
            g.start()
    finally:
        g.stop()
