"""The red line across the window when the audit trail disagrees with what this station saw.

At every sign-in the window runs the quick check (services.audit.check_anchor: is this still
the database this station wrote to, with the plant root it pinned?) on the reading worker;
the Verify page's full check reports here too. The line stays until a check finds nothing:
a trail cut short, rewritten or put back from an older copy is not something to click away.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QLabel, QWidget

from qcstation.services import audit
from qcstation.ui import theme
from qcstation.ui.context import UiContext


class AuditAlert(QLabel):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("audit-alert")
        self.setWordWrap(True)
        self.setStyleSheet(
            f"background: {theme.FAIL_COLOUR}; color: white; font-weight: bold; padding: 6px;"
        )
        self.hide()
        ctx.events.audit_checked.connect(self.show_findings)

    def check(self) -> None:
        """The quick check, in the background (a few reads, whatever the trail's length)."""
        station = self.ctx.station
        self.ctx.run_read(lambda: audit.check_anchor(station), self.ctx.events.audit_checked.emit)

    def show_findings(self, findings: Sequence[audit.Finding]) -> None:
        if not findings:
            self.hide()
            return
        first = findings[0].message
        more = len(findings) - 1
        self.setText(
            self.tr(
                "The audit trail does not agree with what this station saw: {0}{1}. "
                "Do not issue reports or certificates; tell the plant's administrator "
                "(Verify ▸ Check the audit trail shows everything it found)."
            ).format(first, self.tr(" (and {0} more)").format(more) if more else "")
        )
        self.show()
