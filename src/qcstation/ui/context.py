"""What every screen shares: the station, the signed-in user, the two lanes of background
work (ui/tasks.py) and the error path."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from qcstation.domain.users import Permission, User

if TYPE_CHECKING:
    from qcstation.config import Settings
    from qcstation.services.context import Station
    from qcstation.ui.errors import ErrorReporter
    from qcstation.ui.tasks import Job, Owner, TaskRunner


class Events(QObject):
    """What changed, so screens refresh from it instead of reaching into each other."""

    signed_in = Signal(object)  # User
    signed_out = Signal()
    locked = Signal()  # the bench was locked (by hand or idle): the work is kept, out of view
    unlocked = Signal()
    inspection_opened = Signal(str)  # the checklist now shows this inspection
    inspection_changed = Signal(str)  # inspection id
    evidence_captured = Signal(object)  # a StoredCapture (ui/evidence_strip.py)
    inspection_completed = Signal(str)
    templates_changed = Signal()
    users_changed = Signal()
    settings_changed = Signal(object)  # Settings
    audit_checked = Signal(object)  # list of audit Findings: what the last check found


@dataclass
class UiContext:
    station: Station
    tasks: TaskRunner  # the database lane: short transactions, one at a time, in order
    errors: ErrorReporter
    settings: Settings
    events: Events = field(default_factory=Events)
    user: User | None = None
    camera: Any = None  # the CameraPanel: its shot() is what every capture keeps
    # The work lane: CPU and network jobs and long reads; saves never wait behind them.
    work: TaskRunner | None = None

    def can(self, permission: Permission) -> bool:
        return self.user is not None and self.user.can(permission)

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        *,
        owner: Owner | None = None,
        applies: Callable[[Owner], bool] | None = None,
    ) -> None:
        """Work on the worker; with an owner, ``applies(owner)`` decides on arrival whether
        the result is still shown (see ui/tasks.py)."""
        self.tasks.run(fn, on_done, on_error, owner=owner, applies=applies)

    def run_read(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        """A long read on the work lane (the database lane when there is no work lane)."""
        (self.work or self.tasks).run(fn, on_done, on_error)

    def run_work(
        self,
        fn: Callable[[Job], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        *,
        label: str,
        on_cancelled: Callable[[], None] | None = None,
        owner: Owner | None = None,
        applies: Callable[[Owner], bool] | None = None,
        after_saves: bool = False,
    ) -> Job:
        """A slow CPU or network job on the work lane, with progress and a Cancel (see
        ui/tasks.py). ``after_saves``: it starts once everything already queued on the
        database lane is done, for a job whose result depends on those saves (a signature
        covers the answers typed before it)."""
        from qcstation.ui.tasks import Job

        lane = self.work or self.tasks
        job = Job(label)
        kw: dict[str, Any] = {
            "label": label,
            "on_cancelled": on_cancelled,
            "owner": owner,
            "applies": applies,
            "job": job,
        }
        if after_saves and lane is not self.tasks:
            # a no-op behind every queued save; when it arrives, those saves are done
            def start(_r: object) -> None:
                lane.start_job(fn, on_done, on_error, **kw)

            self.tasks.run(lambda: None, start)
        else:
            lane.start_job(fn, on_done, on_error, **kw)
        return job

    @property
    def pending(self) -> int:
        """Tasks and jobs on both lanes whose results have not been delivered yet."""
        return self.tasks.pending + (self.work.pending if self.work is not None else 0)

    def wait(self, msecs: int = 30000) -> bool:
        """Block until both lanes are idle (shutdown, tests and screenshots only)."""
        done = self.tasks.wait(msecs)
        return (self.work.wait(msecs) if self.work is not None else True) and done

    @property
    def actor(self) -> User:
        if self.user is None:
            raise RuntimeError("no one is signed in")
        return self.user
