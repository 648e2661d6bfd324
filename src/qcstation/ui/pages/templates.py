"""Template manager: validate and import checklist files, activate a version, see use."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QVBoxLayout,
    QWidget,
)

from qcstation.domain.defects import DefectCatalog
from qcstation.domain.yaml_files import ContentError
from qcstation.services import template_editor, templates
from qcstation.services.template_editor import TemplateVersion
from qcstation.ui.context import UiContext
from qcstation.ui.models import TemplatesModel
from qcstation.ui.pages.template_editor import TemplateEditorDialog
from qcstation.ui.widgets import button, muted, record_table, shortcut, title


class TemplatesPage(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("templates-page")
        self.model = TemplatesModel(self)
        self.editor: TemplateEditorDialog | None = None
        self.table = record_table(
            "templates-table", self.model, QAbstractItemView.SelectionMode.ExtendedSelection
        )
        self.report = muted()
        self.report.setObjectName("templates-report")
        self.report.setTextInteractionFlags(self.report.textInteractionFlags())
        validate = button(self.tr("Validate files…"))
        imp = button(self.tr("Import files…"))
        activate = button(self.tr("Activate selected version"))
        self.edit = button(self.tr("Edit selected…"), "Ctrl+E", "edit-template")
        self.edit.clicked.connect(self.edit_selected)
        validate.clicked.connect(lambda: self.pick(importing=False))
        imp.clicked.connect(lambda: self.pick(importing=True))
        activate.clicked.connect(self.activate_selected)
        row = QHBoxLayout()
        for b in (validate, imp, activate, self.edit):
            row.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(title(self.tr("Checklist templates")))
        layout.addWidget(
            muted(
                self.tr(
                    "Each stage uses its active version; "
                    "every inspection keeps the version it used."
                )
            )
        )
        layout.addWidget(self.table, 1)
        layout.addWidget(self.report)
        layout.addLayout(row)
        ctx.events.templates_changed.connect(self.refresh)
        shortcut(self, "Ctrl+E", self.edit_selected)

    def refresh(self) -> None:
        station = self.ctx.station
        self.ctx.run(lambda: templates.list_templates(station), self.model.set_rows)

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        self.refresh()

    def pick(self, importing: bool) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self, self.tr("Checklist files"), "", self.tr("Checklists (*.yaml *.yml)")
        )
        if files:
            (self.import_files if importing else self.validate_files)([Path(f) for f in files])

    def validate_files(self, paths: list[Path]) -> None:
        station = self.ctx.station

        def work() -> list[str]:
            parsed = templates.validate_files(paths, templates.catalog_in_use(station))
            return [
                f"{p.path.name}: OK — {p.template.key}, {p.template.stage.label}" for p in parsed
            ]

        self.ctx.run(work, lambda lines: self.report.setText("\n".join(lines)), self._problems)

    def import_files(self, paths: list[Path]) -> None:
        station, actor = self.ctx.station, self.ctx.actor

        def done(result: templates.ImportResult) -> None:
            lines = [self.tr("imported {0}").format(k) for k in result.imported]
            lines += [self.tr("unchanged {0}").format(k) for k in result.unchanged]
            self.report.setText("\n".join(lines))
            self.ctx.events.templates_changed.emit()

        self.ctx.run(lambda: templates.import_files(station, actor, paths), done, self._problems)

    def _problems(self, exc: BaseException) -> None:
        if isinstance(exc, ContentError):
            self.report.setText(
                self.tr("Nothing was imported:") + "\n" + "\n".join(str(p) for p in exc.problems)
            )
        else:
            self.ctx.errors.report(exc)

    def edit_selected(self) -> None:
        """Open the checklist editor on the selected version (its history and the catalog
        its defect codes are checked against come with it)."""
        row = self.model.row_at(self.table.currentIndex())
        if row is None:
            self.report.setText(self.tr("Select the version to edit first."))
            return
        station, key, version = self.ctx.station, row.template_key, row.version

        def load() -> tuple[str, DefectCatalog | None, list[TemplateVersion]]:
            return (
                template_editor.source(station, key, version),
                templates.catalog_in_use(station),
                template_editor.versions(station, key),
            )

        def opened(loaded: tuple[str, DefectCatalog | None, list[TemplateVersion]]) -> None:
            source, catalog, history = loaded
            self.editor = TemplateEditorDialog(
                self.ctx, key, version, source, catalog, history, self
            )
            self.editor.open()

        self.ctx.run(load, opened)

    def activate_selected(self) -> None:
        row = self.model.row_at(self.table.currentIndex())
        if row is None:
            return
        station, actor = self.ctx.station, self.ctx.actor
        self.ctx.run(
            lambda: templates.activate(station, actor, row.template_key, row.version),
            lambda _info: self.ctx.events.templates_changed.emit(),
        )
