"""Which data directory a run uses. Kept apart from config.py (settings, pydantic) because
the window needs the answer before anything heavy is loaded."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

ENV_DATA_DIR = "QCSTATION_DATA_DIR"
ENV_DATABASE_URL = "QCSTATION_DATABASE_URL"


def default_data_dir() -> Path:
    return Path(user_data_dir("qcstation", appauthor=False))


def choose_data_dir(data_dir: str | Path | None, demo: bool = False) -> Path:
    """Command-line option, then (except for the demo) the environment, then the default.

    The demo never takes the environment's directory: it must not fill a station's real
    data directory with demo records."""
    if data_dir:
        chosen = Path(data_dir)
    elif demo:
        chosen = default_data_dir() / "demo"
    else:
        chosen = Path(os.environ.get(ENV_DATA_DIR) or default_data_dir())
    return chosen.expanduser().resolve()
