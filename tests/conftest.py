"""Test set-up shared by every test: offscreen Qt, a fresh data directory and database each.

Database tests run twice, on a SQLite file and on the PostgreSQL server named by
QCSTATION_TEST_DATABASE_URL (each test in a schema of its own). Without that variable the
PostgreSQL runs are skipped, unless QCSTATION_REQUIRE_POSTGRES is set (as .ci/run does),
in which case they fail: CI never silently skips the plant database.

One rule for everything else a test needs from the machine (poppler's tools, Xvfb, data
a seeded generator must produce): where it is missing the test is skipped on a
developer's computer and fails in CI, named by the environment variable CI (set by CI
services and by .ci/run). See `unavailable`, `have_tools`, `require_tools`.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

# Before anything imports Qt: with no display, a QApplication would abort.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from qcstation import config
from qcstation.accounts import passwords
from qcstation.domain.users import Role, User
from qcstation.services import accounts, setup
from qcstation.services.context import Station, connect

PG_ENV = "QCSTATION_TEST_DATABASE_URL"
REQUIRE_PG_ENV = "QCSTATION_REQUIRE_POSTGRES"
PASSWORD = "correct horse battery"
AS_STATION_ENV = "QCSTATION_TEST_AS_STATION_ROLE"

# argon2 at the product's cost takes 70 ms and more a time, and a test's fixture users
# need several each (a password hash and a sealed key when made, both again at sign-in):
# a third of the suite's time went there. In the suite's own processes argon2 runs at the
# least cost it allows; the product's cost is tested from the source (`production_cost`),
# and every process a test starts (the CLI, stations) runs at the product's cost.
passwords.MEMORY_KIB, passwords.TIME_COST, passwords.PARALLELISM = 8, 1, 1


class HungTestStopper:
    """pytest-timeout's thread method, reported where CI shows it.

    pytest-timeout (``timeout`` in pyproject.toml) stops a test that runs too long from a
    timer thread: a hang inside Qt's event loop or a C call never returns to Python to
    take a signal. Its own report goes to pytest's terminal, which a pytest-xdist worker
    does not pass on: CI would read only "worker crashed". This timer writes the test's
    name and every thread's stack (named) to the standard error pytest started with,
    then ends the process like pytest-timeout does; xdist then names the test too and
    goes on in a new worker.
    """

    def __init__(self, stderr_fd: int) -> None:
        self.stderr_fd = stderr_fd
        self.timers: dict[str, threading.Timer] = {}

    @pytest.hookimpl(tryfirst=True)
    def pytest_timeout_set_timer(self, item: pytest.Item, settings: Any) -> bool | None:
        if settings.method != "thread":
            return None  # pytest-timeout's own signal method
        timer = threading.Timer(settings.timeout, self.stop, (item, settings))
        timer.name = f"pytest-timeout {item.nodeid}"
        timer.daemon = True
        self.timers[item.nodeid] = timer
        timer.start()
        return True

    @pytest.hookimpl(tryfirst=True)
    def pytest_timeout_cancel_timer(self, item: pytest.Item) -> bool | None:
        timer = self.timers.pop(item.nodeid, None)
        if timer is None:
            return None
        timer.cancel()
        timer.join()
        return True

    def stop(self, item: pytest.Item, settings: Any) -> None:
        from pytest_timeout import is_debugging

        if not settings.disable_debugger_detection and is_debugging():
            return  # someone is stepping through it
        names = {t.ident: t.name for t in threading.enumerate()}
        here = threading.get_ident()
        text = [f"\n+++++ Timeout: {item.nodeid} ran longer than {settings.timeout:g}s +++++\n"]
        for ident, frame in sys._current_frames().items():
            if ident != here:
                text.append(f"~~~~~ thread {names.get(ident, ident)!r} ~~~~~\n")
                text.extend(traceback.format_stack(frame))
        text.append(f"+++++ Timeout: {item.nodeid} stopped: its process ends +++++\n")
        try:
            os.write(self.stderr_fd, "".join(text).encode("utf-8", "replace"))
        finally:
            os._exit(1)


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("timeout"):
        # The standard error as it is now, before a test's output is captured.
        try:
            fd = sys.stderr.fileno()
        except (AttributeError, ValueError):  # pytest-xdist's worker replaced sys.stderr
            assert sys.__stderr__ is not None
            fd = sys.__stderr__.fileno()
        config.pluginmanager.register(HungTestStopper(os.dup(fd)), "qcstation-hung-tests")


def pytest_unconfigure(config: pytest.Config) -> None:
    stopper = config.pluginmanager.get_plugin("qcstation-hung-tests")
    if isinstance(stopper, HungTestStopper):
        config.pluginmanager.unregister(stopper)
        os.close(stopper.stderr_fd)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test may touch a real station's data or settings."""
    for name in (
        config.ENV_DATA_DIR,
        config.ENV_DATABASE_URL,
        "QCSTATION_USER",
        "QCSTATION_PASSWORD",
    ):
        monkeypatch.delenv(name, raising=False)
    # Stations of a plant keep their key in a secret store, chosen explicitly: the tests
    # choose the file (this machine has no OS keyring); tests/security/test_plant_secrets.py
    # takes the choice away and tests the keyring with a backend of its own.
    monkeypatch.setenv("QCSTATION_SECRET_STORE", "file")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / "config"))


THREAD_GRACE_S = 2.0
CI_ENV = "CI"
# The Debian package of each tool a test runs (scripts/system-packages installs them).
TOOL_PACKAGES = {
    "pdftoppm": "poppler-utils",
    "pdfsig": "poppler-utils",
    "pdftotext": "poppler-utils",
    "Xvfb": "xvfb",
}


def in_ci() -> bool:
    """CI is set (CI services set it; so does .ci/run): nothing a test needs may be missing."""
    return os.environ.get(CI_ENV, "").lower() not in ("", "0", "false", "no")


def unavailable(what: str) -> NoReturn:
    """This test cannot run here because of ``what``: skipped on a developer's computer,
    failed in CI, which installs everything and must not pass by skipping a check."""
    if in_ci():
        pytest.fail(f"{what}; CI ({CI_ENV} is set) does not skip this test", pytrace=False)
    pytest.skip(what)


def _missing_tools(names: tuple[str, ...]) -> str | None:
    missing = [n for n in names if shutil.which(n) is None]
    if not missing:
        return None
    packages = sorted({TOOL_PACKAGES.get(n, n) for n in missing})
    return (
        f"{', '.join(missing)} not installed (Debian: {', '.join(packages)}; "
        "scripts/system-packages installs it)"
    )


def require_tools(*names: str) -> None:
    """Go on only where every tool named is on PATH (see `unavailable`)."""
    missing = _missing_tools(names)
    if missing:
        unavailable(missing)


def have_tools(*names: str) -> bool:
    """For an extra check inside a test: whether the tools are there. In CI a missing
    tool fails the test instead of leaving the check out."""
    missing = _missing_tools(names)
    if missing and in_ci():
        unavailable(missing)
    return missing is None


@pytest.fixture
def poppler() -> None:
    """poppler-utils' tools (pdfsig, pdftoppm, pdftotext), or the test does not run here
    (`unavailable`: a skip on a developer's computer, a failure in CI)."""
    require_tools("pdfsig", "pdftoppm", "pdftotext")


@pytest.fixture(autouse=True)
def _no_thread_outlives_its_test() -> Iterator[None]:
    """No Python thread a test started is still running when it ends (after its fixtures,
    windows included, are torn down and a short grace to finish).

    A leaked thread runs on into the next test: it holds a database or a file the next
    one removes, writes into a station that is gone, and fails somebody else's test, or
    keeps the interpreter from exiting. Daemon threads are not counted (nothing waits
    for them); Qt's own threads are not Python threads.
    """
    before = set(threading.enumerate())
    yield
    started = [t for t in threading.enumerate() if t not in before and not t.daemon]
    deadline = time.monotonic() + THREAD_GRACE_S
    for thread in started:
        thread.join(max(0.0, deadline - time.monotonic()))
    alive = [t.name for t in started if t.is_alive()]
    if alive:
        pytest.fail(
            f"the test left {len(alive)} thread(s) running: {', '.join(alive)} "
            "(stop and join what it starts, or close what owns them)",
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def _no_window_outlives_its_test() -> Iterator[None]:
    """Every window a test opened is closed and deleted when it ends.

    A window or message box left open (a test that failed half-way, or one that built a
    window by hand) stays in the application: a modal box left visible makes the next
    test's capture key do nothing, and keys may go to the wrong window.
    """
    yield
    widgets = sys.modules.get("PySide6.QtWidgets")
    if widgets is None:
        return  # this test never touched Qt
    app = widgets.QApplication.instance()
    if app is None:
        return
    from PySide6.QtCore import QCoreApplication, QEvent

    for w in widgets.QApplication.topLevelWidgets():
        try:
            if isinstance(w, widgets.QDialog) and w.isVisible():
                # done() hides it without reject(), which may ask a question (unsaved
                # edits) that no one would answer here
                w.done(widgets.QDialog.DialogCode.Rejected)
            w.close()
        finally:
            w.deleteLater()  # gone even if closing failed (that failure fails its test)
    # deleteLater runs only from an event loop, or when asked to explicitly
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()


def postgres_url() -> str | None:
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get(REQUIRE_PG_ENV):
            pytest.fail(f"{REQUIRE_PG_ENV} is set but {PG_ENV} is not: no PostgreSQL to test on")
        unavailable(f"no PostgreSQL server configured ({PG_ENV})")
    return url


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    base = postgres_url()
    assert base is not None
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(make_url(base).set(drivername="postgresql+psycopg"))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    url = (
        make_url(base)
        .set(drivername="postgresql+psycopg")
        .update_query_dict({"options": f"-csearch_path={name}"})
    )
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def _pg_admin() -> Engine:
    base = postgres_url()
    assert base is not None
    return create_engine(
        make_url(base).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )


def _pg_database_url(name: str) -> str:
    base = make_url(postgres_url() or "").set(drivername="postgresql+psycopg")
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def pg_database_url() -> Iterator[str]:
    """A new, empty PostgreSQL database of its own, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield _pg_database_url(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'qcstation.db'}"
    return str(request.getfixturevalue("pg_database_url"))


@pytest.fixture
def location(tmp_path: Path, database_url: str) -> config.Location:
    return config.resolve(tmp_path / "data", database_url)


@pytest.fixture
def bare_station(location: config.Location) -> Iterator[Station]:
    """A station on an empty database (nothing initialised)."""
    station = connect(location)
    yield station
    station.close()


# `setup.init` (migrations, the shipped checklists and catalog, the plant root, argon2
# users) costs seconds per test, and more under load; the same initialised station is made
# once per run and copied into each test (a file copy on SQLite, CREATE DATABASE ... TEMPLATE
# on PostgreSQL). The copy is the station init makes, plant keys and anchor file included.
@pytest.fixture(scope="session")
def _initialised() -> Iterator[dict[str, Path]]:
    made: dict[str, Path] = {}
    yield made
    names = [str(v) for k, v in made.items() if k.endswith("-db")]
    if names:
        admin = _pg_admin()
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def initialised_copy(
    made: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
    kind: str,
    target: config.Location,
    fill: Callable[[Station], object],
) -> None:
    """Put the station ``fill`` makes (once per run and kind) into ``target``, whose database
    must not be connected yet."""
    pg = not target.is_sqlite
    key = f"{kind}-{'pg' if pg else 'sqlite'}"
    if key not in made:
        data = tmp_path_factory.mktemp(key) / "data"
        if pg:
            name = f"tmpl_{uuid.uuid4().hex[:12]}"
            admin = _pg_admin()
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            url = _pg_database_url(name)
        else:
            url = f"sqlite:///{data / 'qcstation.db'}"
        template = connect(config.resolve(data, url))
        try:
            fill(template)
        finally:
            template.close()
        made[key] = data
        if pg:
            made[key + "-db"] = Path(name)
    shutil.copytree(made[key], target.data_dir, dirs_exist_ok=True)
    if pg:
        name = make_url(target.database_url).database
        admin = _pg_admin()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{made[key + "-db"]}"'))
        admin.dispose()


@pytest.fixture
def station(
    bare_station: Station,
    _initialised: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Station:
    """An initialised station: schema, admin 'alice', shipped checklists and catalog.

    With QCSTATION_TEST_AS_STATION_ROLE set, a PostgreSQL station then works on as a
    station login of its own (least privilege, services/plant_roles.py), as a plant's
    benches do: the suite run that way shows the application needs no more."""
    loc = bare_station.location
    if not loc.is_sqlite and not (make_url(loc.database_url).database or "").startswith("t_"):
        # A database this fixture did not make (a test's own URL): never replace it.
        setup.init(bare_station, "alice", PASSWORD, "Alice Admin")
        return bare_station
    bare_station.db.engine.dispose()
    initialised_copy(
        _initialised,
        tmp_path_factory,
        "init",
        bare_station.location,
        lambda st: setup.init(st, "alice", PASSWORD, "Alice Admin"),
    )
    if os.environ.get(AS_STATION_ENV) and bare_station.db.dialect == "postgresql":
        request.getfixturevalue("station_login")
    return bare_station


@pytest.fixture
def station_login(bare_station: Station) -> Iterator[str]:
    """Reconnect the (initialised, PostgreSQL) station as its own station login: a group
    role with the station grants and a LOGIN role in it, both made for this test's schema
    by the owner, and dropped afterwards. Yields the login role's name."""
    from qcstation.services import plant_roles
    from qcstation.store.database import Database

    owner = bare_station.db
    tag = uuid.uuid4().hex[:12]  # roles are the server's, shared by every test database
    group = f"qcg_{tag}"
    plant_roles.grant(owner, group)
    role, password, url = plant_roles.create_login(owner, f"test {tag}", group)
    bare_station.db = Database(url, owner.anchor_path, password)
    try:
        yield role
    finally:
        bare_station.db.dispose()
        bare_station.db = owner
        with owner.engine.begin() as conn:
            for name in (role, group):
                conn.exec_driver_sql(f'DROP OWNED BY "{name}"')
                conn.exec_driver_sql(f'DROP ROLE "{name}"')


@pytest.fixture
def production_cost() -> Iterator[None]:
    """argon2 at the cost the product ships with, as its source sets it."""
    lowered = passwords.MEMORY_KIB, passwords.TIME_COST, passwords.PARALLELISM
    importlib.reload(passwords)  # the module's own values, not a copy of them here
    try:
        yield
    finally:
        passwords.MEMORY_KIB, passwords.TIME_COST, passwords.PARALLELISM = lowered


@pytest.fixture
def password() -> str:
    """The password every fixture user has."""
    return PASSWORD


@pytest.fixture
def admin(station: Station) -> User:
    return accounts.login(station, "alice", PASSWORD)


@pytest.fixture
def supervisor(station: Station, admin: User) -> User:
    accounts.create_user(station, admin, "sam", PASSWORD, Role.SUPERVISOR, "Sam Supervisor")
    return accounts.login(station, "sam", PASSWORD)  # signed in: it can act


@pytest.fixture
def inspector(station: Station, admin: User) -> User:
    accounts.create_user(station, admin, "ines", PASSWORD, Role.INSPECTOR, "Ines Inspector")
    return accounts.login(station, "ines", PASSWORD)
