"""F7 on the checklist: the station's balance or caliper read into the measurement on screen.

F7 (or the item's "Read from <instrument>" button) reads the station's balance or caliper
for the measurement on screen (services/instruments.py), off the GUI thread; the reading
fills the item and is saved naming the instrument. A failure (no answer, unstable, a unit
the item cannot take, the cable pulled) is said under the fields and nothing is recorded;
a reading that arrives after the inspector moved to another item is dropped, and said so.

It lives apart from the checklist page (ui/pages/checklist.py) because it has a worker and
a state of its own: waiting for an instrument is never behind a save, and the one read in
progress is its business alone. It reads the page only through :class:`Checklist` (the
item on screen, whom a result belongs to, whether a save holds the checklist) and answers
through the item editor, which saves the reading as any other answer.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication

from qcstation.domain.inspections import Inspection
from qcstation.domain.templates import ChecklistItem, MeasurementItem
from qcstation.services import instruments as instrument_service
from qcstation.services.problems import is_known
from qcstation.ui.context import UiContext
from qcstation.ui.pages.item_editor import ItemEditor
from qcstation.ui.tasks import Owner, TaskRunner


class Checklist(Protocol):
    """What the reader needs of the checklist page (ui/pages/checklist.py)."""

    ctx: UiContext
    editor: ItemEditor
    inspection: Inspection | None
    steps: list[tuple[ChecklistItem, int | None, str]]  # item, position, section title
    index: int

    def owns(self, owner: Owner) -> bool: ...

    def owner(self, key: tuple[str, int | None] | None = None) -> Owner: ...

    def key_at(self, index: int) -> tuple[str, int | None]: ...

    def refused(self) -> bool: ...

    def say(self, text: str) -> None: ...


class InstrumentReader(QObject):
    """Reads the station's instrument for the checklist page; see the module docstring."""

    def __init__(self, page: Checklist, parent: QObject | None = None):
        super().__init__(parent)
        self.page = page
        self.ctx = page.ctx
        self.editor = page.editor
        self._reading: Owner | None = None  # the item an instrument is being read for
        # Waiting for a balance or caliper (seconds, for a press of its DATA key) has a
        # worker of its own: never behind a save or a long read, never on the GUI thread.
        self.instrument_tasks = TaskRunner(self.ctx.errors.report, self)

    def instrument_name(self, unit: str) -> str | None:
        found = instrument_service.for_unit(self.ctx.settings.instruments, unit)
        return found.name if found is not None else None

    def read_instrument(self) -> None:
        """Read the station's instrument for the measurement on screen; see the docstring."""
        if self.page.inspection is None or not self.page.steps or self.page.refused():
            return
        item, pos, _ = self.page.steps[self.page.index]
        if not isinstance(item, MeasurementItem):
            QApplication.beep()
            self.page.say(self.tr("“{0}” takes no reading from an instrument.").format(item.prompt))
            return
        setting = instrument_service.for_unit(self.ctx.settings.instruments, item.unit)
        if setting is None:
            QApplication.beep()
            self.editor.say_problem(
                self.tr(
                    "No instrument at this station measures {0}: an administrator adds one "
                    "under Settings → Instruments. Type the reading instead."
                ).format(item.unit)
            )
            return
        if self._reading is not None:
            self.page.say(self.tr("Still reading from {0}…").format(setting.name))
            return
        owner = self.page.owner((item.id, pos))
        self._reading = owner
        self.editor.say_problem(
            self.tr("Press DATA on {0}…").format(setting.name)
            if instrument_service.protocol(setting.protocol).waits_for_press
            else self.tr("Reading from {0}…").format(setting.name)
        )
        unit = item.unit
        self.instrument_tasks.run(
            lambda: instrument_service.measure(setting, unit),
            lambda measured: self._instrument_read(owner, measured),
            lambda exc: self._instrument_failed(owner, exc),
        )

    def _still_on(self, owner: Owner) -> bool:
        return (
            self.page.owns(owner)
            and bool(self.page.steps)
            and self.page.key_at(self.page.index) == (owner.item_id, owner.position)
        )

    def _instrument_read(self, owner: Owner, measured: instrument_service.Measured) -> None:
        self._reading = None
        if not self._still_on(owner):
            if self.page.owns(owner):
                self.page.say(
                    self.tr("The reading from {0} ({1} {2}) came after you moved on: it was not "
                            "recorded.").format(measured.instrument, measured.value, measured.unit)
                )  # fmt: skip
            return
        self.editor.instrument_reading(float(measured.value), measured.instrument)

    def _instrument_failed(self, owner: Owner, exc: BaseException) -> None:
        self._reading = None
        if not is_known(exc):
            self.ctx.errors.report(exc)
            return
        if self._still_on(owner):
            self.editor.say_problem(str(exc))
        elif self.page.owns(owner):
            self.page.say(str(exc))
