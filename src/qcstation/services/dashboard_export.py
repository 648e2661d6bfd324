"""The dashboard to a file: CSV (every figure, one row each) or a PDF summary."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

from qcstation.domain.dashboards import Bucket, Dashboard, DashboardFilter
from qcstation.domain.users import User
from qcstation.reports import dashboard_pdf
from qcstation.services import dashboards
from qcstation.services.context import Station
from qcstation.services.errors import InvalidInput

CSV_HEADER = (
    "chart",
    "group",
    "key",
    "label",
    "period",
    "n",
    "count",
    "percent",
    "cumulative_percent",
    "centre",
    "lcl",
    "ucl",
    "out_of_control",
)


def to_csv(d: Dashboard) -> str:
    """One table for all charts: the `chart` column says which; unused cells stay empty."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_HEADER)
    w.writerow(["totals", "", "inspected", "", "", d.inspected, d.failed, "", "", "", "", "", ""])
    w.writerow(["totals", "", "defects", "", "", "", d.defects, "", "", "", "", "", ""])
    for by, bars in d.pareto.items():
        for b in bars:
            w.writerow(
                ["pareto", by.value, b.key, b.label, "", "", b.count,
                 f"{b.percent:.4f}", f"{b.cumulative_percent:.4f}", "", "", "", ""]
            )  # fmt: skip
    for y in d.first_pass_yield:
        w.writerow(
            ["first_pass_yield", d.bucket.value, y.stage.value, y.stage.label,
             y.period.isoformat(), y.inspected, y.first_pass, f"{100 * y.rate:.4f}",
             "", "", "", "", ""]
        )  # fmt: skip
    c = d.p_chart
    for p in c.points:
        w.writerow(
            ["p_chart", "day", "", "", p.day.isoformat(), p.n, p.nonconforming,
             f"{100 * p.p:.4f}", "", f"{100 * c.p_bar:.4f}", f"{100 * p.lcl:.4f}",
             f"{100 * p.ucl:.4f}", "yes" if p.out_of_control else "no"]
        )  # fmt: skip
    return buf.getvalue()


def _write_atomically(path: Path, data: bytes) -> None:
    path = path.resolve()
    if not path.parent.is_dir():
        raise InvalidInput(f"cannot write {path}: the folder {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def export(
    station: Station,
    actor: User,
    path: Path,
    f: DashboardFilter = dashboards.ALL,
    bucket: Bucket = Bucket.WEEK,
) -> Dashboard:
    """Write the dashboard to ``path``; .csv or .pdf by its suffix."""
    kind = path.suffix.lower()
    if kind not in (".csv", ".pdf"):
        raise InvalidInput(f"{path}: the file name must end in .csv or .pdf")
    d = dashboards.dashboard(station, actor, f, bucket)
    if kind == ".csv":
        data = to_csv(d).encode("utf-8")
    else:
        data = dashboard_pdf.render(d, station.name, station.now())
    _write_atomically(path, data)
    return d
