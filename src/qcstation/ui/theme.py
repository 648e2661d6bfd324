"""Light, dark and high-contrast looks, with big targets for gloved hands."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("light", "dark", "high_contrast")

PASS_COLOUR = "#1e8e3e"
FAIL_COLOUR = "#c5221f"
REVIEW_COLOUR = "#b06000"
VERDICT_FONT = "font-size: 28pt; font-weight: bold;"

_COLOURS = {
    "light": {
        "window": "#f4f5f7",
        "base": "#ffffff",
        "text": "#1b1d21",
        "button": "#e7e9ee",
        "highlight": "#1a5fb4",
        "muted": "#5c6370",
        "border": "#c9ced6",
    },
    "dark": {
        "window": "#1f2226",
        "base": "#15171a",
        "text": "#e8eaed",
        "button": "#2d3137",
        "highlight": "#4c8df6",
        "muted": "#9aa0a6",
        "border": "#3c4043",
    },
    "high_contrast": {
        "window": "#000000",
        "base": "#000000",
        "text": "#ffffff",
        "button": "#000000",
        "highlight": "#ffff00",
        "muted": "#ffffff",
        "border": "#ffffff",
    },
}


def colours(theme: str) -> dict[str, str]:
    return _COLOURS.get(theme, _COLOURS["light"])


def apply(app: QApplication, theme: str) -> None:
    c = colours(theme)
    pal = QPalette()
    pal.setColor(QPalette.ColorRole.Window, QColor(c["window"]))
    pal.setColor(QPalette.ColorRole.WindowText, QColor(c["text"]))
    pal.setColor(QPalette.ColorRole.Base, QColor(c["base"]))
    pal.setColor(QPalette.ColorRole.AlternateBase, QColor(c["window"]))
    pal.setColor(QPalette.ColorRole.Text, QColor(c["text"]))
    pal.setColor(QPalette.ColorRole.Button, QColor(c["button"]))
    pal.setColor(QPalette.ColorRole.ButtonText, QColor(c["text"]))
    pal.setColor(QPalette.ColorRole.Highlight, QColor(c["highlight"]))
    pal.setColor(
        QPalette.ColorRole.HighlightedText,
        QColor("#000000" if theme == "high_contrast" else "#ffffff"),
    )
    pal.setColor(QPalette.ColorRole.PlaceholderText, QColor(c["muted"]))
    app.setPalette(pal)
    font = QFont(app.font())
    font.setPointSize(12)
    app.setFont(font)
    border_width = 2 if theme == "high_contrast" else 1
    app.setStyleSheet(
        f"""
        QPushButton {{ min-height: 40px; padding: 4px 16px; border-radius: 6px;
            border: {border_width}px solid {c["border"]}; background: {c["button"]}; }}
        QPushButton:focus {{ border: 2px solid {c["highlight"]}; }}
        QPushButton:default {{ border: 2px solid {c["highlight"]}; }}
        QPushButton#pass-button {{ background: {PASS_COLOUR}; color: white; font-weight: bold; }}
        QPushButton#fail-button {{ background: {FAIL_COLOUR}; color: white; font-weight: bold; }}
        QPushButton:disabled, QPushButton#pass-button:disabled, QPushButton#fail-button:disabled {{
            background: {c["window"]}; color: {c["muted"]};
            border: {border_width}px dashed {c["border"]}; }}
        QLineEdit, QPlainTextEdit {{
            min-height: 36px; padding: 2px 8px; border: {border_width}px solid {c["border"]};
            border-radius: 4px; background: {c["base"]}; }}
        QLineEdit:focus, QPlainTextEdit:focus {{ border: 2px solid {c["highlight"]}; }}
        QComboBox, QSpinBox, QDoubleSpinBox, QDateEdit, QKeySequenceEdit {{ min-height: 36px; }}
        QLabel#page-title {{ font-size: 20pt; font-weight: bold; }}
        QLabel#item-prompt {{ font-size: 22pt; font-weight: bold; }}
        QLabel#checklist-notice {{ color: {REVIEW_COLOUR}; font-weight: bold; }}
        QLabel#muted {{ color: {c["muted"]}; }}
        QLabel#verdict-pass {{ color: {PASS_COLOUR}; {VERDICT_FONT} }}
        QLabel#verdict-fail {{ color: {FAIL_COLOUR}; {VERDICT_FONT} }}
        QLabel#verdict-needs_review {{ color: {REVIEW_COLOUR}; {VERDICT_FONT} }}
        QListWidget#nav {{ font-size: 13pt; border: none; background: {c["button"]}; }}
        QListWidget#nav::item {{ padding: 12px 10px; }}
        QProgressBar {{ min-height: 22px; border-radius: 4px; text-align: center; }}
        """
    )
