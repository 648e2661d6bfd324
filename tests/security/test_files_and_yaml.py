"""Imported files cannot reach outside their folder, YAML tags are refused, and fuzzed
template files only ever give a ContentError."""

from __future__ import annotations

import contextlib
import io
import tarfile
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qcstation import config, content
from qcstation.domain.templates import ChecklistTemplate
from qcstation.domain.yaml_files import ContentError, parse
from qcstation.services import backup_verify, restore, templates
from qcstation.services.backup_archive import BackupError
from qcstation.store.evidence import EvidenceError, EvidenceStore

FINAL_QC = (content.templates_dir() / "final_qc.yaml").read_text("utf-8")


def archive(path: Path, members: dict[str, bytes], kind: bytes = tarfile.REGTYPE) -> Path:
    with tarfile.open(path, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.type = len(data), kind
            if kind == tarfile.SYMTYPE:
                info.size, info.linkname = 0, "/etc/passwd"
                tar.addfile(info)
            else:
                tar.addfile(info, io.BytesIO(data))
    return path


EVIL = [
    "../escaped.txt",
    "/tmp/absolute.txt",
    "evidence/../../escaped",
    "evidence/ab/../../../escaped",
    "database/../../qcstation.db",
    "evidence/ab/" + "ab" * 32 + "/../x",
    "settings.yaml/../../x",
    "./manifest.json/../../x",
]


@pytest.mark.parametrize("name", EVIL)
def test_restore_refuses_members_that_escape_the_target(tmp_path: Path, name: str) -> None:
    bad = archive(tmp_path / "evil.qcbackup", {name: b"owned", "manifest.json": b"{}"})
    target = config.resolve(tmp_path / "target", None)
    with pytest.raises(BackupError, match="not part of a qcstation backup"):
        restore.restore(target, bad)
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path / "escaped").exists()
    assert not list((tmp_path / "target").glob("**/*.db"))


def test_restore_refuses_links(tmp_path: Path) -> None:
    bad = archive(tmp_path / "link.qcbackup", {"settings.yaml": b""}, kind=tarfile.SYMTYPE)
    with pytest.raises(BackupError, match="a link"):
        backup_verify.verify_archive(bad)


def test_evidence_names_are_digests_only(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "evidence")
    for name in ("../../etc/passwd", "/etc/passwd", "ab/../../x", "A" * 64, "ab" * 31 + "/"):
        with pytest.raises(EvidenceError, match="not a SHA-256 digest"):
            store.path_for(name)
        with pytest.raises(EvidenceError):
            store.read(name)
    stored = store.put(b"photo")
    assert stored.path.parent.parent == store.root  # root/ab/abcd..., nothing else


def test_template_identifiers_cannot_name_paths(tmp_path: Path) -> None:
    for evil in ("../../etc/passwd", "a/b", "..", "x\\y", "final-qc\x00"):
        text = FINAL_QC.replace("template: final-qc", f"template: {evil!r}")
        with pytest.raises(ContentError, match="template"):
            parse(text, ChecklistTemplate, "evil.yaml")


TAGS = [
    "!!python/object/apply:os.system ['touch /tmp/qc-pwned']",
    "!!python/name:os.system",
    "!!python/object:qcstation.config.Settings {}",
    "!custom {a: 1}",
    "!!binary aGVsbG8=",
]


@pytest.mark.parametrize("tag", TAGS)
def test_yaml_tags_are_refused(tmp_path: Path, tag: str) -> None:
    text = FINAL_QC.replace("name: Final QC", f"name: {tag}", 1)
    f = tmp_path / "tagged.yaml"
    f.write_text(text, "utf-8")
    with pytest.raises(ContentError, match=r"YAML tags are not allowed|not valid YAML"):
        templates.validate_files([f], None)
    assert not Path("/tmp/qc-pwned").exists()


def billion_laughs() -> str:
    """Nine levels of nine aliases each: 342 bytes that expand to 9**9 strings."""
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for n in range(1, 9):
        prev, cur = chr(ord("a") + n - 1), chr(ord("a") + n)
        bomb += f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    return bomb


def test_yaml_aliases_cannot_blow_up(tmp_path: Path) -> None:
    """Anchors and aliases are refused from the event stream, before anything expands them:
    at once, naming the line of each."""
    started = time.monotonic()
    with pytest.raises(ContentError, match="aliases are not allowed") as caught:
        parse(billion_laughs(), ChecklistTemplate, "bomb.yaml")
    assert time.monotonic() - started < 2
    said = [str(p) for p in caught.value.problems]
    assert "bomb.yaml:1: YAML anchors are not allowed here (&a)" in said
    assert "bomb.yaml:2: YAML aliases are not allowed here (*a)" in said
    assert len(said) == 17  # each anchor and each alias once, not each of its uses
    # An alias inside an otherwise good template is refused just the same.
    text = FINAL_QC.replace("name: Final QC", "name: &n Final QC", 1) + "\nnote: *n\n"
    with pytest.raises(ContentError, match=r"aliases are not allowed here \(\*n\)"):
        parse(text, ChecklistTemplate, "alias.yaml")


@pytest.mark.parametrize(
    "deep",
    ["[" * 50_000 + "]" * 50_000, "{a: " * 50_000 + "1" + "}" * 50_000, "[" * 50_000],
    ids=["lists", "mappings", "unclosed"],
)
def test_deep_nesting_is_refused_not_a_recursion_error(deep: str) -> None:
    started = time.monotonic()
    with pytest.raises(ContentError, match="nested more than 64 levels deep") as caught:
        parse(f"template: t\nversion: 1\nsections: {deep}\n", ChecklistTemplate, "deep.yaml")
    assert time.monotonic() - started < 2
    assert str(caught.value.problems[0]).startswith("deep.yaml:3: ")


def test_nesting_a_checklist_needs_is_not_refused() -> None:
    sixty = "[" * 60 + "]" * 60
    with pytest.raises(ContentError) as caught:
        parse(f"template: t\nversion: 1\nsections: {sixty}\n", ChecklistTemplate, "d.yaml")
    assert "nested more than" not in str(caught.value)  # refused for its content, not depth
    assert parse(FINAL_QC, ChecklistTemplate, "final_qc.yaml").template == "final-qc"


def mutate(text: str, data: st.DataObject) -> str:
    chars = list(text)
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, max(0, len(chars) - 1)))
        op = data.draw(st.sampled_from(["delete", "insert", "replace", "cut"]))
        if op == "delete" and chars:
            del chars[at]
        elif op == "insert":
            chars.insert(at, data.draw(st.sampled_from(list(":-[]{}&*!|>'\"#\n\t 0x"))))
        elif op == "replace" and chars:
            chars[at] = data.draw(st.characters())
        elif op == "cut":
            chars = chars[:at]
    return "".join(chars)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzzed_templates_give_only_content_errors(data: st.DataObject) -> None:
    text = mutate(FINAL_QC, data)
    try:
        parse(text, ChecklistTemplate, "fuzzed.yaml")
    except ContentError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda kids: (
            st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=10), kids, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_arbitrary_yaml_documents_give_only_content_errors(doc: object) -> None:
    try:
        text = yaml.safe_dump(doc)
    except yaml.YAMLError:
        return
    with contextlib.suppress(ContentError):
        parse(text, ChecklistTemplate, "random.yaml")


def test_fuzzed_files_through_the_import_service(
    tmp_path: Path, station: object, admin: object
) -> None:
    """The same through validate_files with the catalog in use: a ContentError, nothing
    imported."""
    cat = templates.catalog_in_use(station)  # type: ignore[arg-type]
    for cut in range(0, len(FINAL_QC), 37):  # a cut at an item boundary may be valid
        f = tmp_path / f"cut{cut}.yaml"
        f.write_text(FINAL_QC[:cut], "utf-8")
        try:
            templates.validate_files([f], cat)
        except ContentError as exc:
            assert exc.problems
    f = tmp_path / "bytes.yaml"
    f.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ContentError, match="not UTF-8"):
        templates.validate_files([f], cat)
