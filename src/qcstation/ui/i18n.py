"""Translations and number formats: Qt's own machinery, plus a pseudo-language that
lengthens every string.

The station's language setting is a locale name (``en``, ``en_DE``, ``de``...): its
language picks the translation, and the locale as a whole how numbers are read and shown
(``en``: 0.45, ``en_DE`` and ``de``: 0,45). The computer's own regional settings never
change how a reading is read, so a bench behaves the same whatever the PC was set up with.

The pseudo-language ("pseudo") turns "Pass" into "[Ƥàšš ~~~]": about 40 % longer, with
accents, so a screen that clips or hard-codes text shows it at a glance.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLocale, QTranslator

from qcstation import content
from qcstation.domain.numbers import POINT, SEPARATORS

LANGUAGES = {
    "en": "English",
    "en_DE": "English, decimal comma (0,45)",
    "pseudo": "Pseudo (layout check)",
}

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


def number_locale(language: str) -> QLocale:
    """The locale readings are typed and shown in: the language setting's (C for a name Qt
    does not know, and for the pseudo-language), never the operating system's."""
    return QLocale.c() if language == "pseudo" else QLocale(language)


def decimal_separator() -> str:
    """The decimal separator in force ("." or ","; "." where the locale uses another mark)."""
    mark = QLocale().decimalPoint()
    return mark if mark in SEPARATORS else POINT


def install(app: QCoreApplication, language: str) -> QTranslator | None:
    """Set the number locale and install the translator for a language; keep the returned
    object alive."""
    QLocale.setDefault(number_locale(language))
    if language == "pseudo":
        translator: QTranslator = PseudoTranslator(app)
    elif language.split("_")[0] != "en":
        translator = QTranslator(app)
        folder = Path(content.resources_dir()) / "i18n"
        names = dict.fromkeys((language, language.split("_")[0]))  # de_CH, then de
        if not any(translator.load(str(folder / f"qcstation_{name}.qm")) for name in names):
            return None
    else:
        return None
    app.installTranslator(translator)
    return translator
