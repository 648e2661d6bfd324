"""`sampling plan`: ISO 2859-1 sample sizes and accept/reject numbers."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

from qcstation.cli._shared import (
    OK,
    UsageError,
    _out,
)


def cmd_sampling_plan(args: argparse.Namespace) -> int:
    from qcstation.domain import sampling

    try:
        plan = sampling.plan(args.lot_size, args.aql, args.level, args.mode)
    except sampling.SamplingError as exc:
        raise UsageError(str(exc)) from None
    data = {
        "lot_size": plan.lot_size,
        "aql": plan.aql,
        "level": plan.level.value,
        "mode": plan.mode.value,
        "code_letter": plan.code_letter,
        "plan_letter": plan.plan_letter,
        "sample_size": plan.sample_size,
        "accept": plan.accept,
        "reject": plan.reject,
        "hundred_percent": plan.hundred_percent,
    }
    if args.json:
        _out(json.dumps(data))
        return OK
    _out(
        f"Lot of {plan.lot_size}, level {plan.level.value}, AQL {plan.aql}, "
        f"{plan.mode.value} inspection"
    )
    _out(
        f"  code letter {plan.code_letter}"
        + (f" (plan of letter {plan.plan_letter})" if plan.plan_letter != plan.code_letter else "")
    )
    _out(
        f"  inspect {plan.sample_size} piece(s)"
        + (" — that is every piece in the lot" if plan.hundred_percent else "")
    )
    _out(f"  accept with {plan.accept} or fewer nonconforming, reject with {plan.reject} or more")
    return OK


def register(add: Any, group: Any) -> None:
    ssub = group("sampling", "ISO 2859-1 acceptance sampling")
    p = add("plan", cmd_sampling_plan, "sample size and accept/reject numbers for a lot", ssub)
    p.add_argument("--lot-size", type=int, required=True)
    p.add_argument("--aql", required=True)
    p.add_argument("--level", default="II")
    p.add_argument("--mode", default="normal")
    p.add_argument("--json", action="store_true")
    from qcstation.cli import lots

    lots.add_state_command(add, ssub)
