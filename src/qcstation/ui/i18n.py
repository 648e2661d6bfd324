"""Translations: Qt's own machinery, plus a pseudo-language that lengthens every string.

The pseudo-language ("pseudo") turns "Pass" into "[Ƥàšš ~~~]": about 40 % longer, with
accents, so a screen that clips or hard-codes text shows it at a glance.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLocale, QTranslator

from qcstation import content

LANGUAGES = {"en": "English", "pseudo": "Pseudo (layout check)"}

_ACCENTS = str.maketrans("aceinorsuyACEINORSUY", "àçéîñöŕšûýÀÇÉÎÑÖŔŠÛÝ")


def pseudo(text: str) -> str:
    if not text:
        return text
    padding = "~" * max(2, len(text) * 2 // 5)
    return f"[{text.translate(_ACCENTS)} {padding}]"


class PseudoTranslator(QTranslator):
    def translate(
        self, context: str, source: str, disambiguation: str | None = None, n: int = -1
    ) -> str:
        return pseudo(source)

    def isEmpty(self) -> bool:
        return False


def available() -> dict[str, str]:
    """English (the source language), the pseudo check, and any shipped .qm catalogues."""
    found = dict(LANGUAGES)
    folder = content.resources_dir() / "i18n"
    for qm in sorted(folder.glob("qcstation_*.qm")) if folder.is_dir() else []:
        code = qm.stem.removeprefix("qcstation_")
        found.setdefault(code, QLocale(code).nativeLanguageName() or code)
    return found


def install(app: QCoreApplication, language: str) -> QTranslator | None:
    """Install the translator for a language; keep the returned object alive."""
    if language == "pseudo":
        translator: QTranslator = PseudoTranslator(app)
    elif language != "en":
        translator = QTranslator(app)
        path = Path(content.resources_dir()) / "i18n" / f"qcstation_{language}.qm"
        if not translator.load(str(path)):
            return None
    else:
        return None
    app.installTranslator(translator)
    return translator
