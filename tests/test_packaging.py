"""What an installed (non-editable) qcstation must have: its resources and its layers."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import qcstation
from qcstation import content
from qcstation.domain.stages import Stage
from qcstation.domain.yaml_files import load_template

from .conftest import in_ci, unavailable

CORE = ["domain", "store", "services", "accounts", "imaging"]


def test_shipped_resources_are_found() -> None:
    templates = content.shipped_templates()
    assert {load_template(p).stage for p in templates} == set(Stage)
    assert content.defect_catalog().is_file()


def test_installed_package_carries_its_resources() -> None:
    """scripts/test installs the wheel, not the source tree: resources must be inside it."""
    package = Path(qcstation.__file__).parent
    if (package.parent.name == "src") and not in_ci():
        pytest.skip("running from a source checkout (editable install)")
    assert content.resources_dir() == package / "resources"
    assert (package / "store" / "migrations" / "script.py.mako").is_file()


def test_core_packages_never_import_qt() -> None:
    """The core runs with no display: importing it must not pull in PySide6."""
    code = (
        "import sys\n"
        + "".join(f"import qcstation.{p}\n" for p in CORE)
        + "import qcstation.cli, qcstation.services.inspections, qcstation.services.demo\n"
        + "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6')]\n"
        + "print(bad); sys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_import_contracts() -> None:
    """Layers point down (pyproject.toml [tool.importlinter]); checked by import-linter."""
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        unavailable("import-linter is not installed (the test extra)")
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [lint, str(root / "pyproject.toml")], capture_output=True, text=True, timeout=120, cwd=root
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
