"""The installer files hang together: the spec parses, every file they name exists, the
shell scripts parse, the workflow runs scripts that exist. (Building the bundles is
scripts/build-bundle's job, run by .ci/run, and the workflow's on Windows and macOS.)"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
INSTALLER = ROOT / "installer"
SCRIPTS = [
    ROOT / "scripts" / "build-bundle",
    INSTALLER / "windows" / "build-installer.sh",
    INSTALLER / "macos" / "build-dmg.sh",
]


def test_the_spec_is_python_and_names_files_that_exist() -> None:
    spec = (INSTALLER / "qcstation.spec").read_text(encoding="utf-8")
    tree = ast.parse(spec)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert {"Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE"} <= names
    assert (INSTALLER / "qcstation_main.py").is_file()
    for icon in ("qcstation.ico", "qcstation.icns"):
        assert icon in spec and (ROOT / "resources" / "icons" / icon).stat().st_size > 1000
    assert (ROOT / "src" / "qcstation" / "store" / "migrations" / "env.py").is_file()
    ast.parse((INSTALLER / "qcstation_main.py").read_text(encoding="utf-8"))
    ast.parse((INSTALLER / "make_icons.py").read_text(encoding="utf-8"))


def test_the_inno_setup_script_names_files_that_exist() -> None:
    iss = (INSTALLER / "windows" / "qcstation.iss").read_text(encoding="utf-8")
    for relative in re.findall(r"=(\.\.\\[^\s\"]+)", iss):
        if "{" in relative or "build\\" in relative:
            continue  # Inno constants, and the build's own output
        assert (INSTALLER / "windows" / relative.replace("\\", "/")).exists(), relative
    assert "PrivilegesRequiredOverridesAllowed=dialog commandline" in iss
    assert "desktopicon" in iss and "{autoprograms}" in iss
    assert "MB_DEFBUTTON2" in iss  # uninstalling keeps the data unless the person says yes


@pytest.mark.skipif(not shutil.which("bash"), reason="no bash")
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_the_shell_scripts_parse(script: Path) -> None:
    subprocess.run(["bash", "-n", str(script)], check=True)
    text = script.read_text(encoding="utf-8")
    assert "installer/qcstation.spec" in text
    assert text.startswith("#!/usr/bin/env bash")


def test_signing_steps_say_when_they_are_skipped() -> None:
    windows = (INSTALLER / "windows" / "build-installer.sh").read_text(encoding="utf-8")
    macos = (INSTALLER / "macos" / "build-dmg.sh").read_text(encoding="utf-8")
    assert "skipped: no WINDOWS_CERT_PFX_BASE64" in windows
    assert "skipped: no MACOS_SIGN_IDENTITY" in macos
    assert "skipped: no APPLE_ID" in macos and "notarytool submit" in macos
    assert (INSTALLER / "macos" / "entitlements.plist").is_file()


def test_the_workflow_builds_both_and_runs_the_self_tests() -> None:
    workflow = yaml.safe_load(
        (ROOT / ".github" / "workflows" / "installers.yml").read_text(encoding="utf-8")
    )
    runners = {name: job["runs-on"] for name, job in workflow["jobs"].items()}
    assert runners == {"windows": "windows-latest", "macos": "macos-latest"}
    for job in workflow["jobs"].values():
        commands = "\n".join(step.get("run", "") for step in job["steps"])
        assert "--self-test" in commands
        for script in re.findall(r"bash (installer/\S+)", commands):
            assert (ROOT / script).is_file(), script


def test_the_ci_builds_the_linux_bundle_beside_the_tests_and_fails_with_it() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    # PyInstaller goes into the venv before anything runs from it; the build after that
    setup, build = ci.index("build-bundle --setup-only"), ci.index("build-bundle --no-naive")
    assert setup < build < ci.index("./scripts/test -q")
    assert 'wait "$bundle_pid" || bundle_rc=$?' in ci
    assert "FAILED: scripts/build-bundle exited with $bundle_rc" in ci
