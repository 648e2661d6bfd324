"""What every screen shares: the station, the signed-in user, the worker and the error path."""

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
    from qcstation.ui.tasks import Owner, TaskRunner


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
    tasks: TaskRunner
    errors: ErrorReporter
    settings: Settings
    events: Events = field(default_factory=Events)
    user: User | None = None
    camera: Any = None  # the CameraPanel: its shot() is what every capture keeps
    # A second worker for long reads (a whole audit trail): saves never wait behind them.
    reads: TaskRunner | None = None

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
        """A long read on its own worker (the one worker when there is no second)."""
        (self.reads or self.tasks).run(fn, on_done, on_error)

    @property
    def actor(self) -> User:
        if self.user is None:
            raise RuntimeError("no one is signed in")
        return self.user
