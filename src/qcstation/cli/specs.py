"""`spec import FILE` (an ERP export, CSV or JSON) and `spec show SKU`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from qcstation.cli._shared import OK, _location, _login, _out, _user_opt
from qcstation.services import specs
from qcstation.services.context import open_station


def cmd_spec_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    # Every row is checked before the station is opened or a password asked for.
    specs.read_file(path)
    station = open_station(_location(args))
    try:
        user = _login(station, args)
        result = specs.import_file(station, user, path)
    finally:
        station.close()
    for sku, job, revision in result.added:
        _out(f"imported {_whose(sku, job)}: revision {revision}")
    for sku, job, revision in result.unchanged:
        _out(f"unchanged {_whose(sku, job)}: revision {revision} says the same")
    _out(f"{len(result.added)} new revision(s), {len(result.unchanged)} unchanged")
    return OK


def _whose(sku: str, job: str) -> str:
    return f"SKU {sku}" + (f" (job {job})" if job else "")


def cmd_spec_show(args: argparse.Namespace) -> int:
    station = open_station(_location(args))
    try:
        shown = specs.show(station, args.sku)
    finally:
        station.close()
    for n, r in enumerate(shown):
        if n:
            _out("")
        _out(
            f"{_whose(r.sku, r.job_ticket)} — specification revision {r.revision}, imported "
            f"{r.imported_at:%Y-%m-%d %H:%M} UTC by {r.imported_by}"
            + (f" from {r.source}" if r.source else "")
        )
        for what, value in r.spec.lines():
            _out(f"  {what + ':':<20} {value}")
    return OK


def register(add: Any, group: Any) -> None:
    sub = group("spec", "SKU specifications: what a checklist's limits are taken from")
    p = add(
        "import",
        cmd_spec_import,
        "import specifications from an ERP export (CSV or JSON); all rows checked first",
        sub,
    )
    p.add_argument("file", help="FILE.csv (a header row of field names) or FILE.json")
    _user_opt(p)
    p = add("show", cmd_spec_show, "show the specification in force for a SKU", sub)
    p.add_argument("sku")
