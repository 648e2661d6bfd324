"""`dashboard export` (CSV or PDF) and `sku set` (the material the dashboards group by)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from qcstation.cli._shared import (
    ENV_USER,
    OK,
    UsageError,
    _location,
    _out,
    _parse_date,
    _password,
    _user_opt,
)
from qcstation.domain.dashboards import Bucket, DashboardFilter
from qcstation.domain.stages import Stage
from qcstation.services import accounts, dashboard_export, skus
from qcstation.services.context import open_station


def _user(station: Any, args: argparse.Namespace) -> Any:
    name = args.user or os.environ.get(ENV_USER)
    if not name:
        raise UsageError(f"name yourself with --user NAME (or {ENV_USER})")
    return accounts.login(station, name, _password(f"Password for {name}: "))


def cmd_dashboard_export(args: argparse.Namespace) -> int:
    out = Path(args.output)
    if out.suffix.lower() not in (".csv", ".pdf"):
        raise UsageError(f"{out}: the file name must end in .csv or .pdf")
    f = DashboardFilter(
        date_from=args.date_from,
        date_to=args.date_to,
        sku=args.sku,
        stage=Stage(args.stage) if args.stage else None,
        station=args.station,
    )
    if f.date_from and f.date_to and f.date_from > f.date_to:
        raise UsageError(f"--from {f.date_from} is after --to {f.date_to}")
    station = open_station(_location(args))
    try:
        user = _user(station, args)
        d = dashboard_export.export(station, user, out, f, Bucket(args.bucket))
    finally:
        station.close()
    _out(
        f"wrote {out}: {d.inspected:,} inspections, {d.defects:,} defects, "
        f"{len(d.p_chart.out_of_control)} out-of-control day(s) ({f.describe()})"
    )
    return OK


def cmd_sku_set(args: argparse.Namespace) -> int:
    station = open_station(_location(args))
    try:
        user = _user(station, args)
        info = skus.set_sku(station, user, args.sku, args.material, args.description)
    finally:
        station.close()
    _out(f"{info.sku}: {info.material}" + (f" — {info.description}" if info.description else ""))
    return OK


def register(add: Any, group: Any) -> None:
    dsub = group("dashboard", "quality dashboards: Pareto, first-pass yield, p-chart")
    p = add("export", cmd_dashboard_export, "write the dashboard as CSV or a PDF summary", dsub)
    p.add_argument("-o", "--output", required=True, help="FILE.csv or FILE.pdf")
    p.add_argument("--from", dest="date_from", type=_parse_date, help="first day (YYYY-MM-DD)")
    p.add_argument("--to", dest="date_to", type=_parse_date, help="last day, inclusive")
    p.add_argument("--sku")
    p.add_argument("--stage", choices=[s.value for s in Stage])
    p.add_argument("--station", help="one station's inspections")
    p.add_argument("--bucket", choices=[b.value for b in Bucket], default="week")
    _user_opt(p)
    ssub = group("sku", "SKU facts the dashboards use")
    p = add("set", cmd_sku_set, "record a SKU's material (and description)", ssub)
    p.add_argument("sku")
    p.add_argument("--material", required=True)
    p.add_argument("--description")
    _user_opt(p)
