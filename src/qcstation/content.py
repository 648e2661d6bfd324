"""Where the shipped checklists, catalog and images are, installed or from a source tree."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def resources_dir() -> Path:
    """The wheel carries resources/ inside the package; a source checkout keeps it at the top."""
    packaged = Path(str(files("qcstation") / "resources"))
    if packaged.is_dir():
        return packaged
    source_tree = Path(__file__).resolve().parents[2] / "resources"
    if source_tree.is_dir():
        return source_tree
    raise FileNotFoundError(
        f"qcstation's resources are missing (looked in {packaged} and {source_tree}); "
        "reinstall qcstation"
    )


def templates_dir() -> Path:
    return resources_dir() / "templates"


def shipped_templates() -> list[Path]:
    return sorted(templates_dir().glob("*.yaml"))


def defect_catalog() -> Path:
    return resources_dir() / "defect-catalog.yaml"
