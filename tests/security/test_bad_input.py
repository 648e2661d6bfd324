"""Hostile and broken input through the real command line (`python -m qcstation`, its own
process): each is refused with exit code 2 and a message naming what and where, within a
time and an address-space limit, and writes nothing."""

from __future__ import annotations

import os
import resource
import shutil
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from tests.security.test_files_and_yaml import billion_laughs

SRC = Path(__file__).resolve().parents[2] / "src"
PASSWORD_ENV = {"QCSTATION_PASSWORD": "correct horse battery"}
MEMORY = 2 << 30  # bytes of address space the command may map, interpreter and libraries included


def qcstation(
    *argv: str, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))

    proc = subprocess.run(
        [sys.executable, "-m", "qcstation", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limit,
        env={**os.environ, "PYTHONPATH": str(SRC), **(env or {})},
    )
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return proc


def test_billion_laughs_template_is_refused_at_once(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(billion_laughs(), "utf-8")
    proc = qcstation("template", "validate", str(bomb), timeout=30)
    assert proc.returncode == 2
    assert f"{bomb}:2: YAML aliases are not allowed here (*a)" in proc.stderr
    assert "nothing was written" in proc.stderr


def test_deeply_nested_template_is_refused_not_a_recursion_error(tmp_path: Path) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("template: t\nversion: 1\nsections: " + "[" * 50_000 + "]" * 50_000, "utf-8")
    proc = qcstation("template", "validate", str(deep), timeout=30)
    assert proc.returncode == 2
    assert f"{deep}:3: nested more than 64 levels deep" in proc.stderr


@pytest.fixture(scope="module")
def station_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite station set up by `qcstation init` with administrator alice."""
    d = tmp_path_factory.mktemp("bad-input") / "station"
    proc = qcstation("init", "--admin", "alice", "--data-dir", str(d), env=PASSWORD_ENV)
    assert proc.returncode == 0, proc.stderr
    return d


NAN_LIMITS = """\
template: nan-limits
version: 1
stage: final_qc
name: Limits that are not numbers
sections:
  - title: Size
    items:
      - id: width
        kind: measurement
        prompt: Width
        unit: mm
        lower: .nan
        upper: .inf
"""


def test_nan_and_inf_limits_are_refused_by_validate_and_import(
    tmp_path: Path, station_dir: Path
) -> None:
    bad = tmp_path / "nan.yaml"
    bad.write_text(NAN_LIMITS, "utf-8")
    where = ["--data-dir", str(station_dir)]
    before = qcstation("template", "list", "--json", *where).stdout
    proc = qcstation("template", "validate", str(bad), *where)
    assert proc.returncode == 2
    assert f"{bad}:12: sections[0].items[0].lower: Input should be a finite number" in proc.stderr
    assert f"{bad}:13: sections[0].items[0].upper: Input should be a finite number" in proc.stderr
    proc = qcstation("template", "import", str(bad), "--user", "alice", *where, env=PASSWORD_ENV)
    assert proc.returncode == 2
    assert f"{bad}:12: sections[0].items[0].lower" in proc.stderr
    assert "nothing was written" in proc.stderr
    assert qcstation("template", "list", "--json", *where).stdout == before


def damage(db: Path, find: bytes, at: int) -> None:
    """Overwrite one byte, relative to where ``find`` is in the file, with a byte that
    is not UTF-8 (0xBB): damage as a bad sector or a stray write leaves it."""
    data = bytearray(db.read_bytes())
    where = data.find(find)
    assert where > 0, find
    data[where + at] = 0xBB
    db.write_bytes(bytes(data))


DAMAGE = {
    # SQLite's own error then quotes the byte: sqlite3 failed decoding it (UnicodeDecodeError).
    "schema": (b"CREATE TABLE users (", len("CREATE TABLE users"), ("inspections", "list")),
    # A text value no longer UTF-8: the message called it an unreachable server.
    "row": (b'"template": "final-qc"', len('"template": "final-'), ("template", "list")),
}


@pytest.mark.parametrize("where", DAMAGE)
def test_a_damaged_database_file_is_named_with_what_to_do(
    tmp_path: Path, station_dir: Path, where: str
) -> None:
    d = tmp_path / "station"
    shutil.copytree(station_dir, d)
    backup = tmp_path / "before.qcbackup"
    made = qcstation(
        "backup", str(backup), "--user", "alice", "--data-dir", str(d), env=PASSWORD_ENV
    )
    assert made.returncode == 0, made.stderr
    db = d / "qcstation.db"
    find, at, reads = DAMAGE[where]
    damage(db, find, at)
    damaged = db.read_bytes()
    for command in (["template", "list"], reads, ["audit", "verify"]):
        proc = qcstation(*command, "--data-dir", str(d))
        assert proc.returncode == 2, (command, proc.stdout, proc.stderr)
        assert f"the database file {db} is not a readable qcstation database" in proc.stderr
        assert "qcstation restore BACKUP --force --root-passphrase" in proc.stderr
    assert db.read_bytes() == damaged  # nothing written
    # What the message says to do works.
    env = {**PASSWORD_ENV, "QCSTATION_ROOT_PASSPHRASE": PASSWORD_ENV["QCSTATION_PASSWORD"]}
    proc = qcstation(
        "restore", str(backup), "--force", "--root-passphrase", "--data-dir", str(d), env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert qcstation("template", "list", "--data-dir", str(d)).returncode == 0


BEYOND_RANGE = [
    (["inspections", "list", "--limit", "99999999999999999999"], "--limit: "),
    (["inspections", "list", "--limit", "0"], "--limit: '0'"),
    (["lots", "list", "--limit", "-1"], "--limit: '-1'"),
    (["ncr", "list", "--limit", "1000001"], "--limit: '1000001'"),
    (["ncr", "disposition", "99999999999999999999", "--as", "scrap", "--user", "alice"], "id: "),
    (["capa", "edit", "99999999999999999999", "--title", "t", "--user", "alice"], "id: "),
    (["template", "activate", "final-qc", "99999999999999999999", "--user", "alice"], "version"),
]


@pytest.mark.parametrize(
    ("argv", "says"), BEYOND_RANGE, ids=[" ".join(a[:4]) for a, _ in BEYOND_RANGE]
)
def test_numbers_beyond_any_range_are_refused_by_name(
    station_dir: Path, argv: list[str], says: str
) -> None:
    """They reached SQLite as an OverflowError (an int too large for an INTEGER)."""
    proc = qcstation(*argv, "--data-dir", str(station_dir), env=PASSWORD_ENV)
    assert proc.returncode == 2
    assert f"argument {says}" in proc.stderr and "out of range" in proc.stderr


def test_the_calendars_last_day_is_a_date_like_any_other(station_dir: Path) -> None:
    """`--to 9999-12-31` has no day after it: the search ended in an OverflowError."""
    proc = qcstation("inspections", "list", "--to", "9999-12-31", "--data-dir", str(station_dir))
    assert proc.returncode == 0, proc.stderr
    assert "(0 shown)" in proc.stdout


def huge_png(path: Path, width: int, height: int) -> Path:
    """A white 1-bit PNG declaring width x height pixels: small on disk (rows of one
    repeated byte compress ~1000:1), billions of bytes once decoded to colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    comp = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    body = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )
    return path


@pytest.mark.parametrize(
    ("width", "height", "says"),
    [
        (30_000, 30_000, "declares far more than the 50 million pixels a QR scan needs"),
        (9_000, 9_000, "is 9000x9000 pixels, more than the 50 million pixels a QR scan needs"),
    ],
)
def test_a_qr_image_too_large_to_decode_is_refused_before_decoding(
    tmp_path: Path, station_dir: Path, width: int, height: int, says: str
) -> None:
    """30,000 x 30,000 pixels in a 150 KB PNG: OpenCV asked for 2.7 GB (and with no limit
    an 875 KB one took ~13 GB) before looking for a code. Refused from its header."""
    image = huge_png(tmp_path / "huge.png", width, height)
    assert image.stat().st_size < 1_000_000
    proc = qcstation("verify", "--qr", str(image), "--data-dir", str(station_dir), timeout=30)
    assert proc.returncode == 2
    assert f"qcstation: error: {image} {says}: scan or crop it smaller" in proc.stderr


def test_a_file_that_is_no_image_is_named(tmp_path: Path, station_dir: Path) -> None:
    fake = tmp_path / "scan.png"
    fake.write_bytes(b"GIF89a and then nothing")
    proc = qcstation("verify", "--qr", str(fake), "--data-dir", str(station_dir))
    assert proc.returncode == 2
    assert f"{fake} is not an image that can be read" in proc.stderr


def test_a_demo_of_no_or_negative_inspections_is_refused(tmp_path: Path) -> None:
    for count in ("0", "-5", "1000001"):
        proc = qcstation("demo-data", "--inspections", count, "--data-dir", str(tmp_path / "d"))
        assert proc.returncode == 2
        assert f"argument --inspections: '{count}' is out of range" in proc.stderr
    assert not (tmp_path / "d").exists()


def test_an_evidence_image_too_large_to_decode_is_refused_from_its_header(tmp_path: Path) -> None:
    """The same bomb as evidence: the microscope, annotation and golden-sample views decode
    it through decode_image, a report through its JPEG rendition. Both read the header
    first, in bounded time and memory (this process would need 2.7 GB to decode it)."""
    from qcstation.imaging.errors import ImageReadError
    from qcstation.imaging.frames import decode_image
    from qcstation.reports.model import Photo
    from qcstation.reports.photos import PhotoError, jpeg_files

    bomb = huge_png(tmp_path / "evidence.png", 30_000, 30_000)
    started = time.monotonic()
    with pytest.raises(ImageReadError, match="declares far more than the 100 million pixels"):
        decode_image(bomb.read_bytes(), "evidence image ab12")
    photo = Photo(path=bomb, sha256="ab" * 32, media_type="image/png", caption="")
    with pytest.raises(PhotoError, match=rf"evidence file {bomb} declares far more than"):
        with jpeg_files([photo]):
            pass
    assert time.monotonic() - started < 5
