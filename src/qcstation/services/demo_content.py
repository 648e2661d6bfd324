"""What the demo answers where one answer decides which items apply: the finish each demo
SKU is plated with, the markets its orders go to, and the items each answer makes N/A."""

from __future__ import annotations

# The finish each demo SKU gets at plating: a vermeil chain is read as vermeil, never as
# gold plate, and a white gold piece as rhodium.
DEMO_FINISH = {
    "RG-SOL-0412": "gold flash / wash (no plating mark)",
    "RG-ETR-0733": "rhodium",
    "ER-STD-1108": "rhodium",
    "PD-HALO-2207": "rhodium",
    "BR-TEN-0930": "rhodium",
    "CH-CUB-0215": "vermeil (gold on sterling silver)",
}
DEMO_MARKETS = (
    "United Kingdom",
    "India (BIS)",
    "United States",
    "other (stamp as the order states)",
)

# Items that belong to one answer of an earlier item: the thickness of the finish the piece
# has, the marks of the market it goes to. The demo answers those of the answer it gave
# and N/A to the others, as an inspector does.
ONLY_FOR: dict[str, dict[str, frozenset[str]]] = {
    "finish-type": {
        "rhodium": frozenset({"rhodium-thickness"}),
        "black rhodium / ruthenium": frozenset({"black-finish-thickness", "black-finish-colour"}),
        "gold electroplate (GP / GEP)": frozenset({"gold-plate-thickness", "gold-layer-fineness"}),
        "heavy gold electroplate (HGE / HGEP)": frozenset(
            {"heavy-gold-plate-thickness", "gold-layer-fineness"}
        ),
        "gold flash / wash (no plating mark)": frozenset(),
        "vermeil (gold on sterling silver)": frozenset(
            {"vermeil-thickness", "gold-layer-fineness", "vermeil-base-sterling"}
        ),
        "enamel / lacquer": frozenset(),
    },
    "destination-market": {
        "United Kingdom": frozenset(
            {"uk-sponsor-mark", "uk-fineness-mark", "uk-assay-office-mark"}
        ),
        "India (BIS)": frozenset({"bis-logo", "bis-purity-grade", "huid", "huid-matches-record"}),
        "United States": frozenset({"us-trademark"}),
        "other (stamp as the order states)": frozenset(),
    },
}


def not_applicable_after(item_id: str, value: str | None) -> frozenset[str]:
    """The items an answer makes not applicable (another finish's thickness, another
    market's marks); nothing for an item no other item depends on."""
    choices = ONLY_FOR.get(item_id)
    if choices is None or value not in choices:
        return frozenset()
    every = frozenset().union(*choices.values())
    return every - choices[value]


def applicable_after(item_id: str, value: str | None) -> frozenset[str]:
    """The items an answer makes apply (its finish's thickness, its market's marks): an
    inspector answers them, never N/A."""
    return ONLY_FOR.get(item_id, {}).get(value or "", frozenset())
