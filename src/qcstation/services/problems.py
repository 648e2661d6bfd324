"""Which errors a person can act on, and the words for them: the command line and the
window say the same. Anything else is a bug, shown with its traceback."""

from __future__ import annotations

from qcstation.config import ConfigError
from qcstation.domain.yaml_files import ContentError
from qcstation.services.errors import ServiceError
from qcstation.store.database import DatabaseError, DriverError, is_environmental, translate
from qcstation.store.evidence import EvidenceError
from qcstation.store.schema import SchemaTooNew
from qcstation.store.secret_store import SecretStoreError

KNOWN: tuple[type[BaseException], ...] = (
    ServiceError,
    DatabaseError,
    ContentError,
    EvidenceError,
    ConfigError,
    SchemaTooNew,
    SecretStoreError,
)


def is_known(exc: BaseException) -> bool:
    return isinstance(exc, KNOWN)


def describe(exc: BaseException, database_url: str | None) -> str | None:
    """The message for a problem a person can act on; None for a bug."""
    if is_known(exc):
        return str(exc)
    if isinstance(exc, DriverError) and is_environmental(exc):
        return str(translate(exc, database_url))
    return None
