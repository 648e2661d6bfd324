"""The microscope camera in Settings: which device, which mode, and its controls.

Devices are listed with the names the OS gives (imaging.opencv_camera.list_devices). Modes
and controls are what the running camera reports (its Capabilities): a control the camera or
its backend cannot set is shown disabled with the reason, never silently ignored, and a
change is applied live and its result shown (applied, adjusted to another value, rejected,
not read back). Device and mode apply at the next start; everything is remembered in the
station's settings and the controls are set again whenever the camera (re)connects.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from qcstation.config import Settings
from qcstation.imaging.opencv_camera import DeviceInfo, list_devices
from qcstation.imaging.source import Capabilities, Control, ControlResult, ControlStatus, Mode
from qcstation.ui.context import UiContext
from qcstation.ui.widgets import muted

SHOWN = (Control.EXPOSURE, Control.GAIN, Control.WHITE_BALANCE, Control.FOCUS)


class CameraSettings(QGroupBox):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTitle(self.tr("Microscope camera"))
        self.setObjectName("camera-settings")
        self.ctx = ctx
        self.devices = QComboBox()
        self.devices.setObjectName("camera-device")
        self.modes = QComboBox()
        self.modes.setObjectName("camera-mode")
        self.note = muted()
        self.note.setObjectName("camera-note")
        self.spins: dict[Control, QDoubleSpinBox] = {}
        self.results: dict[Control, QLabel] = {}
        self.touched: dict[str, float] = {}
        form = QFormLayout(self)
        form.addRow(self.tr("Camera"), self.devices)
        form.addRow(self.tr("Resolution and rate"), self.modes)
        labels = {
            Control.EXPOSURE: self.tr("Exposure"),
            Control.GAIN: self.tr("Gain"),
            Control.WHITE_BALANCE: self.tr("White balance"),
            Control.FOCUS: self.tr("Focus"),
        }
        for control in SHOWN:
            spin = QDoubleSpinBox()
            spin.setObjectName(f"control-{control.value}")
            spin.setDecimals(2)
            spin.setMinimumWidth(140)
            spin.setKeyboardTracking(False)
            spin.valueChanged.connect(lambda v, c=control: self.apply(c, v))
            result = muted()
            result.setObjectName(f"control-{control.value}-result")
            row = QHBoxLayout()
            row.addWidget(spin)
            row.addWidget(result, 1)
            form.addRow(labels[control], row)
            self.spins[control], self.results[control] = spin, result
        self.magnifications = QLineEdit()
        self.magnifications.setObjectName("magnifications")
        self.magnifications.setPlaceholderText(self.tr("e.g. 0.7x, 1.0x, 2.0x, 4.5x"))
        self.magnifications.setToolTip(
            self.tr("The zoom settings of the microscope, comma-separated; each is calibrated")
        )
        self.calibration_days = QSpinBox()
        self.calibration_days.setObjectName("calibration-days")
        self.calibration_days.setRange(1, 3650)
        self.calibration_days.setSuffix(self.tr(" days"))
        form.addRow(self.tr("Magnifications"), self.magnifications)
        form.addRow(self.tr("Calibration valid for"), self.calibration_days)
        form.addRow("", self.note)
        self.settings: Settings = ctx.settings

    # ------------------------------------------------------------------ the camera's facts
    def source(self) -> Any:
        panel = self.ctx.camera
        return getattr(panel, "source", None)

    def capabilities(self) -> Capabilities | None:
        caps = getattr(self.source(), "capabilities", None)
        return caps() if callable(caps) else None

    def load(self, settings: Settings) -> None:
        """Fill from the settings and what the camera reports now (call when shown)."""
        self.settings = settings
        self.touched = dict(settings.camera_controls)
        self.magnifications.setText(", ".join(settings.magnifications))
        self.calibration_days.setValue(settings.calibration_max_age_days)
        self.ctx.run(lambda: list_devices(), self._show_devices, lambda _e: self._show_devices([]))
        caps = self.capabilities()
        self._show_modes(caps, settings)
        self._show_controls(caps, settings)

    def _show_devices(self, devices: list[DeviceInfo]) -> None:
        self.devices.clear()
        if not devices:
            self.devices.addItem(self.tr("No camera found: connect the microscope"), None)
            self.devices.setEnabled(False)
            return
        self.devices.setEnabled(True)
        for d in devices:
            self.devices.addItem(f"{d.name} ({d.path or d.index})", d.index)
        wanted = self.settings.camera_index
        at = self.devices.findData(wanted) if wanted is not None else 0
        self.devices.setCurrentIndex(max(0, at))

    def _show_modes(self, caps: Capabilities | None, settings: Settings) -> None:
        self.modes.clear()
        if caps is None or not caps.modes:
            self.modes.addItem(self.tr("reported once the camera is connected"), None)
            self.modes.setEnabled(False)
            return
        self.modes.setEnabled(True)
        self.modes.addItem(self.tr("The camera's best"), None)
        for mode in sorted(caps.modes, key=lambda m: (-m.pixels, -m.fps)):
            self.modes.addItem(str(mode), mode.to_dict())
        chosen = settings.camera_mode
        current = caps.current_mode.to_dict() if caps.current_mode else None
        at = self.modes.findData(chosen) if chosen else -1
        if at < 0 and chosen:  # remembered but not offered: say so, keep it selectable
            self.modes.addItem(
                self.tr("{0} (not offered: the nearest is used)").format(
                    str(Mode.from_dict(chosen))
                ),
                chosen,
            )
            at = self.modes.count() - 1
        self.modes.setCurrentIndex(at if at >= 0 else 0)
        if current is not None:
            self.note.setText(
                self.tr(
                    "Now running: {0} at {1}. A new camera or mode applies at the next start; "
                    "controls apply at once."
                ).format(caps.name, str(caps.current_mode))
            )

    def _show_controls(self, caps: Capabilities | None, settings: Settings) -> None:
        for control in SHOWN:
            spin, result = self.spins[control], self.results[control]
            info = caps.controls.get(control) if caps is not None else None
            spin.blockSignals(True)
            if info is None or not info.supported:
                spin.setEnabled(False)
                spin.setSpecialValueText(self.tr("not supported"))
                spin.setRange(0, 0)
                why = info.note if info is not None and info.note else ""
                result.setText(
                    why or self.tr("this camera does not offer it")
                    if caps is not None
                    else self.tr("no camera connected")
                )
            else:
                spin.setEnabled(True)
                spin.setSpecialValueText("")
                lo = info.minimum if info.minimum is not None else -1e6
                hi = info.maximum if info.maximum is not None else 1e6
                spin.setRange(lo, hi)
                value = settings.camera_controls.get(control.value, info.value)
                if value is not None:
                    spin.setValue(float(value))
                result.setText(info.unit)
            spin.blockSignals(False)

    # ------------------------------------------------------------------ changes
    def apply(self, control: Control, value: float) -> None:
        """Set the control on the running camera now, and say what the camera made of it."""
        source = self.source()
        setter = getattr(source, "set_control", None)
        self.touched[control.value] = value
        if not callable(setter):
            self.results[control].setText(self.tr("saved; applied when the camera connects"))
            return
        self.show_result(setter(control, value))

    def show_result(self, r: ControlResult) -> None:
        words = {
            ControlStatus.APPLIED: self.tr("applied"),
            ControlStatus.ADJUSTED: self.tr("the camera set {0:g}").format(r.actual or 0.0),
            ControlStatus.UNSUPPORTED: self.tr("not supported"),
            ControlStatus.REJECTED: self.tr("refused by the camera"),
            ControlStatus.UNVERIFIED: self.tr("sent; the camera does not report it back"),
        }
        text = words[r.status] + (f": {r.message}" if r.message else "")
        label = self.results[r.control]
        label.setText(text)
        label.setStyleSheet(
            "" if r.ok or r.status is ControlStatus.UNVERIFIED else "color: #b00020;"
        )

    def collected(self) -> dict[str, Any]:
        """The camera part of the settings, as chosen here."""
        index = self.devices.currentData() if self.devices.isEnabled() else None
        mode = self.modes.currentData() if self.modes.isEnabled() else self.settings.camera_mode
        # what is shown is what is remembered: the values of every control this camera has
        shown = {c.value: spin.value() for c, spin in self.spins.items() if spin.isEnabled()}
        names = [m.strip() for m in self.magnifications.text().split(",") if m.strip()]
        return {
            "magnifications": list(dict.fromkeys(n[:32] for n in names))
            or self.settings.magnifications,
            "calibration_max_age_days": self.calibration_days.value(),
            "camera_index": index if index is not None else self.settings.camera_index,
            "camera_mode": mode,
            "camera_controls": self.touched | shown,
        }
