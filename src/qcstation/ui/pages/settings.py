"""Station settings: capture key, idle lock, theme, language, where data lives, the
stages whose inspections may get a customer certificate, and the balance and caliper.
Administrators only: the page is shown to them, and the service checks the role again;
each change is in the audit trail with its old and new value (services/settings.py)."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from qcstation.config import Settings
from qcstation.domain.stages import Stage
from qcstation.services import maintenance, problems
from qcstation.services import settings as settings_service
from qcstation.ui import i18n, theme
from qcstation.ui.capture_key import DEFAULT as DEFAULT_CAPTURE_KEY
from qcstation.ui.capture_key import refusal
from qcstation.ui.context import UiContext
from qcstation.ui.pages.camera_settings import CameraSettings
from qcstation.ui.pages.instrument_settings import InstrumentSettings
from qcstation.ui.widgets import button, muted, shortcut, title


class SettingsPage(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("settings-page")
        self.station_name = QLineEdit()
        self.capture_key = QKeySequenceEdit()
        self.capture_key.setObjectName("capture-key")
        self.capture_key.setMaximumSequenceLength(1)
        self.capture_key_hint = muted(
            self.tr(
                "Captures the microscope's picture from anywhere on the checklist, also while "
                "typing a reading, an answer or a note. Give a foot pedal a key nobody types, "
                "such as F9 (the default) or Pause. Space also captures when the cursor is not "
                "in a text field."
            )
        )
        self.capture_key_hint.setObjectName("capture-key-hint")
        self.capture_key_hint.setWordWrap(True)
        self.idle = QSpinBox()
        self.idle.setRange(1, 240)
        self.idle.setSuffix(self.tr(" min"))
        self.theme = QComboBox()
        for name, label in zip(
            theme.THEMES, (self.tr("Light"), self.tr("Dark"), self.tr("High contrast")), strict=True
        ):
            self.theme.addItem(label, name)
        self.language = QComboBox()
        for code, label in i18n.available().items():
            self.language.addItem(label, code)
        self.data_dir = QLabel(str(ctx.station.location.data_dir))
        self.data_dir.setWordWrap(True)
        self.database_url = QLineEdit()
        self.database_url.setPlaceholderText(self.tr("empty: this station's own SQLite file"))
        self.probe_result = muted()
        probe = button(self.tr("Test connection"))
        probe.clicked.connect(self.test_connection)
        url_row = QHBoxLayout()
        url_row.addWidget(self.database_url, 1)
        url_row.addWidget(probe)
        # Certificates speak of the finished piece: which stages may have one.
        self.certificate_stages: dict[Stage, QCheckBox] = {}
        stages = QWidget()
        grid = QGridLayout(stages)
        grid.setContentsMargins(0, 0, 0, 0)
        for i, stage in enumerate(Stage):
            box = QCheckBox(stage.label.replace("&", "&&"))  # "&" would be a mnemonic
            box.setObjectName(f"certificate-stage-{stage.value}")
            self.certificate_stages[stage] = box
            grid.addWidget(box, i // 4, i % 4)
        form = QFormLayout()
        form.addRow(self.tr("Station name"), self.station_name)
        form.addRow(self.tr("Capture key (foot pedal)"), self.capture_key)
        form.addRow("", self.capture_key_hint)
        form.addRow(self.tr("Lock after idle"), self.idle)
        form.addRow(self.tr("Theme"), self.theme)
        form.addRow(self.tr("Language"), self.language)
        form.addRow(self.tr("Certificates for"), stages)
        form.addRow(self.tr("Data location"), self.data_dir)
        form.addRow(self.tr("Plant database URL"), url_row)
        form.addRow("", self.probe_result)
        self.status = muted()
        save = button(self.tr("Save"), "Ctrl+S")
        save.clicked.connect(self.save)
        # Within this page only: a window-wide Ctrl+S met the other pages' and fired none.
        shortcut(self, "Ctrl+S", self.save)
        # The form scrolls, the Save button stays: with the camera's settings the page is
        # taller than a 768-pixel screen.
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(title(self.tr("Settings")))
        layout.addLayout(form)
        self.camera_settings = CameraSettings(ctx)
        layout.addWidget(self.camera_settings)
        self.instrument_settings = InstrumentSettings(ctx)
        layout.addWidget(self.instrument_settings)
        layout.addWidget(
            muted(
                self.tr(
                    "The data location is chosen with --data-dir or QCSTATION_DATA_DIR. "
                    "Database, station name and language changes apply at the next start."
                )
            )
        )
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll, 1)
        outer.addWidget(self.status)
        outer.addWidget(save)
        self.load(ctx.settings)

    def load(self, s: Settings) -> None:
        self.station_name.setText(s.station_name)
        self.capture_key.setKeySequence(QKeySequence(s.capture_key))
        self.idle.setValue(s.idle_lock_minutes)
        self.theme.setCurrentIndex(max(0, self.theme.findData(s.theme)))
        if self.language.findData(s.language) < 0:  # a locale set in settings.yaml: keep it
            name = i18n.number_locale(s.language).nativeLanguageName()
            self.language.addItem(f"{name} ({s.language})" if name else s.language, s.language)
        self.language.setCurrentIndex(max(0, self.language.findData(s.language)))
        self.database_url.setText(s.database_url or "")
        for stage, box in self.certificate_stages.items():
            box.setChecked(stage in s.certificate_stages)
        self.camera_settings.load(s)
        self.instrument_settings.load(s)

    def showEvent(self, event) -> None:  # the camera reports its modes once it runs
        self.camera_settings.load(self.ctx.settings)
        super().showEvent(event)

    def collected(self) -> Settings:
        key = self.capture_key.keySequence().toString() or DEFAULT_CAPTURE_KEY
        return self.ctx.settings.model_copy(
            update={
                "station_name": self.station_name.text().strip() or self.ctx.settings.station_name,
                "capture_key": key,
                "idle_lock_minutes": self.idle.value(),
                "theme": self.theme.currentData(),
                "language": self.language.currentData(),
                "database_url": self.database_url.text().strip() or None,
                "certificate_stages": [
                    stage for stage, box in self.certificate_stages.items() if box.isChecked()
                ],
            }
            | self.camera_settings.collected()
            | self.instrument_settings.collected()
        )

    def save(self) -> None:
        wrong = refusal(self.capture_key.keySequence().toString() or DEFAULT_CAPTURE_KEY)
        if wrong is not None:  # said at the field; nothing is saved until it is right
            self.status.setText(wrong)
            self.capture_key.setFocus()
            return
        if not any(box.isChecked() for box in self.certificate_stages.values()):
            self.status.setText(
                self.tr("Tick at least one stage whose inspections may get a certificate.")
            )
            self.certificate_stages[Stage.FINAL_QC].setFocus()
            return
        wrong = self.instrument_settings.problem()
        if wrong is not None:  # said at the row; nothing is saved until it is right
            self.status.setText(wrong)
            return
        new = Settings.model_validate(self.collected().model_dump())
        station, actor = self.ctx.station, self.ctx.actor

        typed_url = new.database_url

        def done(saved: Settings) -> None:
            self.ctx.settings = saved
            # A password typed into the URL went into the secret store, not the file.
            self.database_url.setText(saved.database_url or "")
            if saved.database_url != typed_url:
                self.status.setText(
                    self.tr(
                        "Saved. The database password is kept in this station's secret store "
                        "(qcstation secrets status), not in the settings file."
                    )
                )
            else:
                self.status.setText(self.tr("Saved."))
            self.ctx.events.settings_changed.emit(saved)

        def failed(exc: BaseException) -> None:
            said = problems.describe(exc, None)  # no store for a typed password, say
            if said is None:
                self.ctx.errors.report(exc)
            else:
                self.status.setText(said)

        self.ctx.run(lambda: settings_service.save(station, actor, new), done, failed)

    def test_connection(self) -> None:
        url = self.database_url.text().strip()
        if not url:
            self.probe_result.setText(self.tr("Using this station's own database."))
            return
        self.probe_result.setText(self.tr("Connecting…"))
        self.ctx.run(
            lambda: maintenance.probe(url),
            self.probe_result.setText,
            lambda exc: self.probe_result.setText(str(exc)),
        )
