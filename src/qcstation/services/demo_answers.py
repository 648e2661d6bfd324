"""How the demo answers one checklist item: a reading near nominal or past a limit, a
choice, a certificate's claim, the finish and market the demo's SKUs call for; and the
plainest passing answer, for scripted inspections.

These take an item and dice and touch no station, so they live apart from the demo's
generator (services/demo.py, which renders images and fills a station through the
services): the tests, benchmarks and fault harnesses that script an inspection take
:func:`passing_answer` from here, and demo.py answers each item through :func:`answer`,
:func:`picked` and :func:`claim`.
"""

from __future__ import annotations

import random

from qcstation.domain.inspections import Answer, Outcome
from qcstation.domain.templates import ChecklistItem, ChoiceItem, MeasurementItem, TextItem
from qcstation.services.demo_content import DEMO_FINISH, DEMO_MARKETS


def _reading(item: MeasurementItem, rng: random.Random, bad: bool) -> float:
    """A realistic reading: near nominal when good, past a limit by 10-60 % of the band when bad."""
    lo, hi = item.lower, item.upper
    centre = (
        item.nominal
        if item.nominal is not None
        else (
            (lo + hi) / 2 if lo is not None and hi is not None else (lo if lo is not None else hi)
        )
    )
    assert centre is not None  # a measurement has at least one limit
    span = (
        (hi - lo) if lo is not None and hi is not None and hi > lo else max(abs(centre) * 0.1, 1.0)
    )
    over = span * rng.uniform(0.1, 0.6)
    if bad:
        value = hi + over if hi is not None and (lo is None or rng.random() < 0.5) else lo - over  # type: ignore[operator]
    elif lo is not None and hi is not None:
        value = min(max(rng.gauss(centre, span / 8), lo), hi)
    elif lo is not None:
        value = lo + abs(rng.gauss(span / 4, span / 8))
    else:
        value = hi - abs(rng.gauss(span / 4, span / 8))  # type: ignore[operator]
    return round(float(value), item.decimals)


def passing_answer(item: ChecklistItem, pos: int | None) -> Answer:
    """The plainest passing answer: readings in the middle of the tolerance, the first
    acceptable choice. For scripted inspections (tests, benchmarks, fault harnesses).
    An item whose limits the SKU's specification does not give can only be N/A."""
    if isinstance(item, MeasurementItem) and item.unresolved:
        return Answer(item.id, pos, Outcome.NA)
    if isinstance(item, MeasurementItem):
        lo = item.lower if item.lower is not None else (item.upper or 0) - 1
        hi = item.upper if item.upper is not None else lo + 1
        return Answer(item.id, pos, readings=((lo + hi) / 2,) * item.readings)
    if isinstance(item, ChoiceItem):
        return Answer(item.id, pos, value=item.acceptable[0])
    if isinstance(item, TextItem):
        return Answer(item.id, pos, value=item.example or "L-1")  # a HUID needs its form
    return Answer(item.id, pos, Outcome.PASS)


def picked(item: ChecklistItem, sku: str, rng: random.Random) -> Answer | None:
    """The demo's answer to an item others depend on: the SKU's finish, a market."""
    if item.id == "finish-type" and isinstance(item, ChoiceItem):
        finish = DEMO_FINISH.get(sku)
        return Answer(item.id, None, value=finish) if finish in item.options else None
    if item.id == "plating-mark" and isinstance(item, ChoiceItem):
        finish = DEMO_FINISH.get(sku, "")
        marked = "vermeil" in finish or "electroplate" in finish
        mark = "mark matches the plating" if marked else "no plating mark, none required"
        return Answer(item.id, None, value=mark) if mark in item.options else None
    if item.id == "destination-market" and isinstance(item, ChoiceItem):
        return Answer(
            item.id, None, value=rng.choice([m for m in DEMO_MARKETS if m in item.options])
        )
    return None


def claim(
    item: ChecklistItem, pos: int | None, rng: random.Random, market: str | None = None
) -> Answer:
    """A plausible statement about a finished piece, for the items a certificate prints."""
    if item.claim == "gross_weight":
        return Answer(item.id, pos, readings=(round(rng.uniform(1.2, 9.8), 2),))
    if item.claim == "stone_count":
        return Answer(item.id, pos, readings=(float(rng.choice([0, 1, 1, 3, 5, 12])),))
    if item.claim == "stone_carat" and isinstance(item, MeasurementItem):
        if item.unresolved:  # no stones in the SKU's specification
            return Answer(item.id, pos, Outcome.NA)
        if item.from_spec:  # judged against the specification: near its stone weight
            return Answer(item.id, pos, readings=(_reading(item, rng, False),))
        return Answer(item.id, pos, readings=(round(rng.uniform(0.1, 1.5), 2),))
    if item.claim == "huid":
        huid = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6))
        return Answer(item.id, pos, value=huid)
    if item.claim == "hallmark":
        stamp = {
            "United Kingdom": "AB 750 anchor",
            "India (BIS)": "BIS 18K750",
            "United States": "18K ACME",
        }
        return Answer(item.id, pos, value=stamp.get(market or "", "750"))
    if item.claim == "ring_size":
        return Answer(item.id, pos, value=rng.choice(["EU 52", "EU 54", "EU 56", "US 7"]))
    if isinstance(item, ChoiceItem):  # metal and fineness: gold, as the demo's SKUs are
        golds = [o for o in item.acceptable if "gold" in o or o in ("585 (14k)", "750 (18k)")]
        return Answer(item.id, pos, value=rng.choice(golds or list(item.acceptable)))
    return passing_answer(item, pos)


def answer(
    item: ChecklistItem, pos: int | None, rng: random.Random, bad: bool, applies: bool = False
) -> Answer:
    """``applies``: the item is one the piece's finish or market calls for, never N/A."""
    if item.allow_na and not bad and rng.random() < 0.15 and not applies:
        return Answer(item.id, pos, Outcome.NA)
    if isinstance(item, MeasurementItem) and item.unresolved:
        return Answer(item.id, pos, Outcome.NA)  # not in the SKU's specification
    if isinstance(item, MeasurementItem):
        readings = tuple(_reading(item, rng, bad) for _ in range(item.readings))
        return Answer(item.id, pos, readings=readings)
    if isinstance(item, ChoiceItem):
        wrong = [o for o in item.options if o not in item.acceptable]
        pick = rng.choice(wrong) if bad and wrong else rng.choice(item.acceptable)
        return Answer(item.id, pos, value=pick)
    if isinstance(item, TextItem):
        if item.pattern is not None:  # a value of the form it asks for (a HUID)
            return Answer(item.id, pos, value=item.example)
        return Answer(item.id, pos, value=f"LOT-{rng.randint(2026000, 2026999)}")
    # pass/fail and photo items
    return Answer(item.id, pos, Outcome.FAIL if bad else Outcome.PASS)
