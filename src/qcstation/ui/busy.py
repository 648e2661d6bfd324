"""The busy indicator in the window's top bar: what runs on the work lane, how far it is,
and a Cancel for it. It listens to the work lane's job signals (ui/tasks.py); hidden when
nothing runs there."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from qcstation.ui.tasks import Job, TaskRunner


class BusyIndicator(QWidget):
    def __init__(self, lane: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.lane = lane
        self.setObjectName("busy-indicator")
        self.label = QLabel()
        self.label.setObjectName("busy-label")
        self.bar = QProgressBar()
        self.bar.setObjectName("busy-progress")
        self.bar.setFixedWidth(120)
        self.bar.setTextVisible(False)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setObjectName("busy-cancel")
        self.cancel_button.setToolTip(self.tr("Stop this job; nothing half-done is kept"))
        self.cancel_button.clicked.connect(self.cancel)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label)
        row.addWidget(self.bar)
        row.addWidget(self.cancel_button)
        lane.jobs_changed.connect(self.refresh)
        lane.job_progress.connect(lambda _job, _d, _t: self.refresh())
        self.refresh()

    def shown_job(self) -> Job | None:
        """The newest job still running (the one Cancel stops)."""
        running = [j for j in self.lane.jobs if not j.cancelled]
        return running[-1] if running else None

    def refresh(self) -> None:
        jobs = self.lane.jobs
        job = self.shown_job()
        self.setVisible(bool(jobs))
        if not jobs:
            return
        if job is None:  # asked to stop, and waiting for it to reach a step
            self.label.setText(self.tr("Cancelling…"))
            self.bar.setRange(0, 0)
            self.cancel_button.setEnabled(False)
            return
        more = len(jobs) - 1
        text = job.label + (self.tr(" (+{0} more)").format(more) if more else "")
        self.label.setText(text + "…")
        if job.total:
            self.bar.setRange(0, job.total)
            self.bar.setValue(job.done)
        else:
            self.bar.setRange(0, 0)  # a busy bar: no count known
        self.cancel_button.setEnabled(True)

    def cancel(self) -> None:
        job = self.shown_job()
        if job is not None:
            job.cancel()
        self.refresh()
