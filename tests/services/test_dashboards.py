"""Dashboard figures against the hand-worked data set in dashboard_data.py (SQLite and PG)."""

from __future__ import annotations

from datetime import date

import pytest
from tests.services.dashboard_data import D1, D2, D3, D4, D5, load

from qcstation.domain.dashboards import Bucket, DashboardFilter, ParetoBy, p_limits
from qcstation.domain.stages import Stage
from qcstation.domain.users import User
from qcstation.services import dashboards
from qcstation.services.context import Station
from qcstation.services.errors import InvalidInput, PermissionDenied

CASTING, POLISHING = Stage.CASTING, Stage.POLISHING


@pytest.fixture
def data(station: Station, admin: User, supervisor: User, inspector: User) -> User:
    from qcstation.domain.users import Role
    from qcstation.services import accounts

    accounts.create_user(station, admin, "ivan", "ivan-password", Role.INSPECTOR, "Ivan I")
    load(station, admin, supervisor)
    return supervisor


def bars(station: Station, user: User, by: ParetoBy, f: DashboardFilter = dashboards.ALL):  # type: ignore[no-untyped-def]
    return [
        (b.key, b.count, round(b.percent, 4), round(b.cumulative_percent, 4))
        for b in dashboards.pareto(station, user, by, f)
    ]


def test_pareto_by_code_stage_worker_material(station: Station, data: User) -> None:
    # 7 defects counted: POR 4, SHRK 2 (#3 and the correction 901), SHORT 1 (#5)
    assert bars(station, data, ParetoBy.CODE) == [
        ("CST-POR", 4, 57.1429, 57.1429),
        ("CST-SHRK", 2, 28.5714, 85.7143),
        ("CST-SHORT", 1, 14.2857, 100.0),
    ]
    assert bars(station, data, ParetoBy.STAGE) == [
        ("casting", 5, 71.4286, 71.4286),
        ("polishing", 2, 28.5714, 100.0),
    ]
    assert bars(station, data, ParetoBy.WORKER) == [
        ("ivan", 4, 57.1429, 57.1429),
        ("ines", 3, 42.8571, 100.0),
    ]
    assert bars(station, data, ParetoBy.MATERIAL) == [
        ("18k yellow gold", 5, 71.4286, 71.4286),
        ("Sterling silver", 1, 14.2857, 85.7143),
        ("unknown", 1, 14.2857, 100.0),
    ]
    labels = {b.key: b.label for b in dashboards.pareto(station, data, ParetoBy.STAGE)}
    assert labels["casting"] == "Casting"
    names = {b.key: b.label for b in dashboards.pareto(station, data, ParetoBy.CODE)}
    assert names["CST-POR"] and names["CST-POR"] != "CST-POR"  # the catalog's name


def test_pareto_filters(station: Station, data: User) -> None:
    assert bars(station, data, ParetoBy.CODE, DashboardFilter(stage=POLISHING)) == [
        ("CST-POR", 1, 50.0, 50.0),
        ("CST-SHRK", 1, 50.0, 100.0),
    ]
    assert bars(station, data, ParetoBy.CODE, DashboardFilter(station="bench-2")) == [
        ("CST-POR", 1, 33.3333, 33.3333),
        ("CST-SHORT", 1, 33.3333, 66.6667),
        ("CST-SHRK", 1, 33.3333, 100.0),
    ]
    assert bars(station, data, ParetoBy.CODE, DashboardFilter(sku="RG-1")) == [
        ("CST-POR", 3, 60.0, 60.0),
        ("CST-SHORT", 1, 20.0, 80.0),
        ("CST-SHRK", 1, 20.0, 100.0),
    ]
    day2 = DashboardFilter(date_from=D2, date_to=D2)
    assert bars(station, data, ParetoBy.WORKER, day2) == [
        ("ivan", 2, 66.6667, 66.6667),
        ("ines", 1, 33.3333, 100.0),
    ]
    assert dashboards.pareto(station, data, ParetoBy.CODE, DashboardFilter(sku="none")) == ()
    to_the_end = DashboardFilter(date_from=D2, date_to=date.max)  # the calendar's last day
    assert bars(station, data, ParetoBy.WORKER, to_the_end) == bars(
        station, data, ParetoBy.WORKER, DashboardFilter(date_from=D2)
    )


def test_first_pass_yield_per_stage_and_week(station: Station, data: User) -> None:
    points = [
        (p.period, p.stage, p.inspected, p.first_pass)
        for p in dashboards.first_pass_yield(station, data, bucket=Bucket.WEEK)
    ]
    assert points == [
        (D1, CASTING, 4, 1),  # week of Monday 2 March
        (D1, POLISHING, 3, 2),
        (D3, CASTING, 62, 62),  # week of Monday 9 March
        (D3, POLISHING, 11, 3),  # 901 (pass, replaces #10) and 2 of 10 on the 11th
    ]
    daily = dashboards.first_pass_yield(station, data, DashboardFilter(stage=CASTING), Bucket.DAY)
    assert [(p.period, p.inspected, p.first_pass) for p in daily] == [
        (D1, 3, 1),
        (D2, 1, 0),
        (D3, 2, 2),
        (D4, 60, 60),
    ]
    assert daily[0].rate == pytest.approx(1 / 3)
    monthly = dashboards.first_pass_yield(station, data, bucket=Bucket.MONTH)
    assert [(p.period, p.stage, p.inspected, p.first_pass) for p in monthly] == [
        (date(2026, 3, 1), CASTING, 66, 63),
        (date(2026, 3, 1), POLISHING, 14, 5),
    ]


def test_p_chart_has_per_day_limits_and_marks_out_of_control(station: Station, data: User) -> None:
    chart = dashboards.daily_p_chart(station, data)
    assert chart.p_bar == pytest.approx(11 / 80)  # 1 + 2 + 0 + 0 + 8 failed of 80
    got = [(p.day, p.n, p.nonconforming, round(p.lcl, 6), round(p.ucl, 6)) for p in chart.points]
    # UCL/LCL = 0.1375 +- 3 sqrt(0.1375 * 0.8625 / n), clipped at 0
    assert got == [
        (D1, 4, 1, 0.0, 0.654062),
        (D2, 3, 2, 0.0, 0.733974),
        (D3, 3, 0, 0.0, 0.733974),
        (D4, 60, 0, 0.004124, 0.270876),
        (D5, 10, 8, 0.0, 0.464202),
    ]
    assert [p.day for p in chart.out_of_control] == [D4, D5]  # below LCL, above UCL
    one = dashboards.daily_p_chart(station, data, DashboardFilter(date_from=D5))
    assert [(p.n, p.nonconforming) for p in one.points] == [(10, 8)]
    assert one.p_bar == pytest.approx(0.8) and not one.out_of_control
    empty = dashboards.daily_p_chart(station, data, DashboardFilter(sku="nothing"))
    assert empty.points == () and empty.p_bar == 0.0


def test_dashboard_reads_everything_consistently(station: Station, data: User) -> None:
    d = dashboards.dashboard(station, data)
    assert (d.inspected, d.failed, d.defects) == (80, 11, 7)
    assert set(d.pareto) == set(ParetoBy)
    assert len(d.first_pass_yield) == 4 and len(d.p_chart.points) == 5


def test_limits_arithmetic() -> None:
    assert p_limits(0.5, 100) == pytest.approx((0.35, 0.65))
    assert p_limits(0.0, 5) == (0.0, 0.0)
    with pytest.raises(ValueError):
        p_limits(0.2, 0)


def test_dashboards_are_for_supervisors(station: Station, data: User, inspector: User) -> None:
    with pytest.raises(PermissionDenied):
        dashboards.dashboard(station, inspector)
    with pytest.raises(InvalidInput, match="reversed"):
        dashboards.pareto(station, data, ParetoBy.CODE, DashboardFilter(date_from=D3, date_to=D1))
