"""The production stages a piece travels through, in their order on the shop floor."""

from __future__ import annotations

from enum import Enum


class Stage(str, Enum):
    RECEIVING = "receiving"
    CASTING = "casting"
    ASSEMBLY = "assembly"
    STONE_SETTING = "stone_setting"
    POLISHING = "polishing"
    PLATING = "plating"
    FINAL_QC = "final_qc"
    PACKAGING = "packaging"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def order(self) -> int:
        return list(Stage).index(self)


_LABELS = {
    Stage.RECEIVING: "Receiving",
    Stage.CASTING: "Casting",
    Stage.ASSEMBLY: "Filing & assembly",
    Stage.STONE_SETTING: "Stone setting",
    Stage.POLISHING: "Polishing",
    Stage.PLATING: "Plating & finish",
    Stage.FINAL_QC: "Final QC",
    Stage.PACKAGING: "Packaging",
}
