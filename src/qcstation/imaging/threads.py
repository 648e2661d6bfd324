"""How many threads OpenCV's own pool may use in the window's process."""

from __future__ import annotations

import os

import cv2


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # what this process may run on (Linux)
    except AttributeError:  # Windows, macOS
        return os.cpu_count() or 1


def leave_a_core() -> int:
    """Let OpenCV use every core but one; returns how many it may use.

    By default its pool takes every core, so a focus stack or a golden compare on the
    window's work lane starved the answer saves on the database lane: with every core
    taken, a save's p95 rose 1.40–1.56× over idle (`python bench/save_latency.py`, 2 cores);
    with one left free, 1.18–1.20×. The slow job takes a little longer; the inspector's
    saves and the window do not wait for it."""
    n = max(1, usable_cores() - 1)
    cv2.setNumThreads(n)
    return n
