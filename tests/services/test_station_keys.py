"""Station keys: made at init or join for a station of a plant server, certified by the plant
root for ``station:NAME``, kept in the station's secret store and never in the database;
a key the root passphrase could not certify at join waits for `keys issue`; a renewed key
retires the old one; a station without a key is told what to do."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import select

from qcstation import cli, config
from qcstation.accounts import keys as pki
from qcstation.domain.users import Role
from qcstation.services import accounts, keys, offline_copy, setup, station_keys, sync
from qcstation.services.context import Station, connect, open_station
from qcstation.services.errors import SigningRefused
from qcstation.store import secret_store
from qcstation.store.models import SigningKeyRow

from .conftest import finish

pytestmark = pytest.mark.postgres
PASSWORD = "s3cret-enough"


def station_rows(loc: config.Location) -> list[SigningKeyRow]:
    st = open_station(loc)
    try:
        with st.db.read() as s:
            return list(s.scalars(select(SigningKeyRow).where(SigningKeyRow.kind == "station")))
    finally:
        st.close()


def test_init_on_a_plant_server_makes_a_certified_station_key_kept_off_the_database(
    pg_schema_url: str, tmp_path: Path
) -> None:
    loc = config.resolve(tmp_path / "hq", pg_schema_url)
    st = connect(loc)
    try:
        result = setup.init(st, "alice", PASSWORD)
    finally:
        st.close()
    assert result.station_key is not None and result.station_key.certified
    (row,) = station_rows(loc)
    assert row.encrypted_key == "" and row.user_id is None
    cert = pki.load_certs_pem(row.certificate or "")[0]
    assert pki.certificate_unit(cert) == f"station:{loc.settings.station_name}"
    kept = tmp_path / "hq" / secret_store.FILE_NAME
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert (
        json.loads(json.loads(kept.read_text())["secrets"]["station-key"])["key_id"] == row.key_id
    )
    key = station_keys.load(loc)
    assert key.key_id == row.key_id


def test_a_joining_station_whose_key_the_root_could_not_certify_waits_for_keys_issue(
    pg_schema_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(keys.ENV_ROOT_PASSPHRASE, "the plant root passphrase")
    hq = connect(config.resolve(tmp_path / "hq", pg_schema_url))
    setup.init(hq, "alice", PASSWORD)
    alice = accounts.login(hq, "alice", PASSWORD)
    monkeypatch.delenv(keys.ENV_ROOT_PASSPHRASE)  # the bench does not know it
    d = tmp_path / "bench"
    config.resolve(d)
    config.save_settings(d, config.Settings(station_name="bench-7", database_url=pg_schema_url))
    bench = connect(config.resolve(d))
    try:
        joined = setup.init(bench, "alice", PASSWORD)
    finally:
        bench.close()
    assert joined.station_key is not None and not joined.station_key.certified
    waiting = [k for k in keys.pending(hq) if k.role == "station"]
    assert [(k.username, k.key_id) for k in waiting] == [
        ("station:bench-7", joined.station_key.key_id)
    ]
    done = keys.issue_pending(hq, alice, "the plant root passphrase", [waiting[0].key_id[:16]])
    assert [k.username for k in done] == ["station:bench-7"]
    assert keys.pending(hq) == []
    (row,) = [r for r in station_rows(config.resolve(d)) if station_keys.named(r) == "bench-7"]
    assert (
        station_keys.certified_for(
            row, "bench-7", pki.load_certs_pem(keys.plant_certificates(hq))[0]
        )
        is None
    )
    hq.close()


def test_a_renewed_station_key_retires_the_old_one_and_signs_from_then_on(
    pg_schema_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("QCSTATION_PASSWORD", PASSWORD)
    d = tmp_path / "bench"
    argv = ["--data-dir", str(d), "--database-url", pg_schema_url]
    assert cli.main(["init", "--admin", "alice", "--station", "bench-1", *argv]) == 0
    assert "certified by the plant root" in capsys.readouterr().out
    loc = config.resolve(d)
    first = station_keys.load(loc).key_id
    assert cli.main(["keys", "station", "--user", "alice", "--data-dir", str(d)]) == 0
    assert "waits for the plant root's certificate" in capsys.readouterr().out
    # Until it is issued nothing is sent, and nothing is set aside either.
    local = offline_copy.open_local(loc)
    try:
        finish(local_with_ines(loc, local), accounts.login(local, "ines", PASSWORD))
        assert cli.main(["sync", "--user", "alice", "--data-dir", str(d)]) == 2
        assert "waits for the plant root's certificate, so nothing was sent" in (
            capsys.readouterr().err
        )
        assert offline_copy.waiting(local) == 1 and offline_copy.refused(local) == []
    finally:
        local.close()
    monkeypatch.setenv(keys.ENV_ROOT_PASSPHRASE, PASSWORD)
    assert cli.main(["keys", "issue", "--all", "--user", "alice", "--data-dir", str(d)]) == 0
    assert "station:bench-1" in capsys.readouterr().out
    second = station_keys.load(loc).key_id
    assert second != first
    rows = {r.key_id: r for r in station_rows(loc)}
    assert rows[first].retired_at is not None and rows[second].retired_at is None
    # It signs the outbox, and the server takes what it signs.
    server = open_station(loc)
    local = offline_copy.open_local(loc)
    try:
        alice = accounts.login(server, "alice", PASSWORD)
        result = sync.sync(server, local, alice)
        assert (result.sent, result.refused) == (1, ())
    finally:
        server.close()
        local.close()


def local_with_ines(loc: config.Location, local: Station) -> Station:
    """The bench's offline copy, with an inspector ines (made on the server) copied in."""
    server = open_station(loc)
    try:
        alice = accounts.login(server, "alice", PASSWORD)
        # Her key issued at once: `keys issue` would certify the station's waiting key too.
        accounts.create_user(
            server, alice, "ines", PASSWORD, Role.INSPECTOR, root_passphrase=PASSWORD
        )
        sync.pull(server, local, alice)
    finally:
        server.close()
    return local


def test_a_station_without_its_key_is_told_what_to_do(pg_schema_url: str, tmp_path: Path) -> None:
    loc = config.resolve(tmp_path / "hq", pg_schema_url)
    st = connect(loc)
    setup.init(st, "alice", PASSWORD)
    st.close()
    secret_store.FileStore(tmp_path / "hq").delete(secret_store.STATION_KEY)
    with pytest.raises(SigningRefused, match=r"no station key.*qcstation keys station"):
        station_keys.load(loc)
