"""Reading and saving the station's settings file."""

from __future__ import annotations

from dataclasses import replace

from qcstation import config
from qcstation.services import station_secrets
from qcstation.services.context import Station


def save(station: Station, settings: config.Settings) -> config.Settings:
    """Write settings.yaml in the data directory. The running station follows at once
    (plant name, paper, certificate stages...); changes of database or data location take
    effect at the next start. A password typed into the database URL goes into the secret
    store, never into the file (refused when no store is chosen)."""
    settings, _where = station_secrets.settings_without_password(station.location, settings)
    config.save_settings(station.location.data_dir, settings)
    station.location = replace(station.location, settings=settings)
    return settings
