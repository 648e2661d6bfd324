"""The capture key: a foot pedal (or the keyboard) keeps the microscope's picture from
anywhere on the checklist, also while the cursor is in a reading, a text answer or the note.

The rule, one filter on the whole application:

- The configured key (``Settings.capture_key``, default F9) is a key nobody types: a
  function key, Pause, or one held with Ctrl or Alt. It is taken before any field or
  shortcut sees it, wherever the focus is. This is the key to give a foot pedal.
- Space also captures (it did before there was a setting), but a space is something a
  note or a text answer needs: in a text field it types, elsewhere it captures.
- Only while armed: the checklist with its camera shows in the active window, nobody is
  locked out, and no dialog is in front. Elsewhere the keys do what they always do.
- A held pedal repeats its key; one press is one capture.

:func:`refusal` says why a key cannot be the capture key (the Settings page asks it).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QKeySequenceEdit,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

DEFAULT = "F9"
SPACE = int(Qt.Key.Key_Space.value)
_CHORDS = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
_CHORDS |= Qt.KeyboardModifier.MetaModifier

# Keys the checklist or a field already means something by: never the capture key.
_TAKEN = (
    *"PFNM+-0123456789",
    *("Left", "Right", "Up", "Down", "PgUp", "PgDown", "Home", "End", "Return", "Enter"),
    *("Esc", "Tab", "Backtab", "Backspace", "Del", "Ctrl+Return", "Ctrl+Enter", "Ctrl+S"),
    *("Ctrl+M", "Ctrl+L", "Ctrl+A", "Ctrl+C", "Ctrl+V", "Ctrl+X", "Ctrl+Z", "Ctrl+Y"),
    *("Ctrl+Shift+Z", "F8", "Shift+F8", "Ctrl+U"),  # park, abandon, unfinished list
    "F7",  # a reading from the station's balance or caliper
    *(f"Alt+{n}" for n in range(1, 10)),
)


def _tr(text: str) -> str:
    return QCoreApplication.translate("capture_key", text)


def combined(key: str | QKeySequence) -> int:
    """One key with its modifiers as Qt combines them; 0 for an empty or unreadable key."""
    seq = key if isinstance(key, QKeySequence) else QKeySequence(key)
    return seq[0].toCombined() if seq.count() == 1 else 0  # type: ignore[index]


def typed(combo: int) -> bool:
    """A key that puts a character into a field (Space, letters, digits, punctuation)."""
    key = combo & ~int(Qt.KeyboardModifier.KeyboardModifierMask.value)
    mods = combo & int(Qt.KeyboardModifier.KeyboardModifierMask.value)
    return key < 0x01000000 and not mods & int(_CHORDS.value)


def refusal(key: str) -> str | None:
    """Why ``key`` cannot be the capture key, in words for the Settings page; None if it can."""
    combo = combined(key)
    if not combo:
        return _tr("Press one key (with Ctrl or Alt if you like) for the capture key.")
    name = QKeySequence(combo).toString()
    if any(combined(k) == combo for k in _TAKEN):
        return _tr(
            "{0} already does something on the checklist or in a field; choose another, "
            "such as F9 or Pause."
        ).format(name)
    if typed(combo) and combo != SPACE:
        return _tr(
            "{0} would be typed into readings, answers and notes; choose a key nobody types, "
            "such as F9 or Pause."
        ).format(name)
    return None if name else _tr("That key cannot be read; choose another, such as F9.")


def is_text_field(widget: QWidget | None) -> bool:
    if isinstance(widget, QComboBox):
        return widget.isEditable()
    return isinstance(
        widget, (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox, QKeySequenceEdit)
    )


class CaptureKey(QObject):
    """Installed on the application; emits :attr:`pressed` once per press of a capture key."""

    pressed = Signal()

    def __init__(self, armed: Callable[[], bool], parent: QObject | None = None):
        super().__init__(parent)
        self._armed = armed
        self.key = combined(DEFAULT)

    def set_key(self, key: str) -> None:
        self.key = combined(key) or combined(DEFAULT)

    def _wanted(self, event: QKeyEvent, focus: QWidget | None) -> bool:
        combo = event.keyCombination().toCombined() & ~int(Qt.KeyboardModifier.KeypadModifier.value)
        if combo not in (self.key, SPACE):
            return False
        if typed(combo) and is_text_field(focus):
            return False  # a space in a note is a space
        return self._armed()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride):
            return False
        if not isinstance(event, QKeyEvent):
            return False
        if not self._wanted(event, QApplication.focusWidget()):
            return False
        if kind == QEvent.Type.ShortcutOverride:
            event.accept()  # ours: no shortcut fires; the key press comes here next
            return True
        if not event.isAutoRepeat():
            self.pressed.emit()
        return True
