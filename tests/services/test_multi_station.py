"""Stations joining a plant database, and the number rule that keeps them apart."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from qcstation import config
from qcstation.domain.users import User
from qcstation.services import numbering, setup
from qcstation.services.context import Station, connect
from qcstation.services.errors import Conflict, PermissionDenied
from qcstation.store.models import Station as StationRow


def other_station(station: Station, name: str) -> Station:
    loc = station.location
    settings = loc.settings.model_copy(update={"station_name": name})
    return connect(config.Location(loc.data_dir, loc.database_url, settings))


def test_init_on_a_set_up_database_registers_the_station(
    station: Station, admin: User, password: str
) -> None:
    second = other_station(station, "bench 2")
    try:
        result = setup.init(second, "alice", password)
        assert result.joined and result.station == "bench 2" and result.defect_codes > 0
        assert "final-qc@3" in result.templates
        with pytest.raises(Conflict, match="registered on this database already"):
            setup.init(second, "alice", password)
    finally:
        second.close()


def test_joining_needs_an_administrator(station: Station, inspector: User, password: str) -> None:
    second = other_station(station, "bench 3")
    try:
        with pytest.raises(Conflict, match=r"set up already.*wrong password"):
            setup.init(second, "alice", "not the password")
        with pytest.raises(PermissionDenied, match="may not administer"):
            setup.init(second, "ines", password)
        with second.db.read() as s:
            assert s.scalars(select(StationRow).where(StationRow.name == "bench 3")).first() is None
    finally:
        second.close()


def test_numbers_are_unique_when_station_prefixes_collide(station: Station, admin: User) -> None:
    names = ["line 1", "LINE-1", "assembly-station-north-01", "assembly-station-north-02"]
    for name in names:
        setup.register_station(replace(station, name=name), admin)
    got = {}
    with station.db.write(admin, station.name) as s:
        rows = {r.name: r for r in s.scalars(select(StationRow))}
        for name in names:
            for kind in ("report", "certificate"):
                got[(name, kind)] = numbering.next_number(s, rows[name], kind)
        ids = {n: rows[n].id for n in names}
    assert got[("line 1", "report")] == ("LINE-1-R000001", 1)
    assert got[("LINE-1", "certificate")] == (f"LINE-1-S{ids['LINE-1']}-C000001", 1)
    assert got[("assembly-station-north-01", "report")][0] == "ASSEMBLY-STATION-R000001"
    assert got[("assembly-station-north-02", "report")][0] == (
        f"ASSEMBLY-STATION-S{ids['assembly-station-north-02']}-R000001"
    )
    assert len({n for n, _ in got.values()}) == len(got)
