"""Password hashing with argon2id, at OWASP's recommended minimum cost or above."""

from __future__ import annotations

from argon2 import PasswordHasher, Type, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1 as the minimum. The
# sealed private keys (accounts/sealing.py) derive their keys at the same cost.
MEMORY_KIB, TIME_COST, PARALLELISM = 19 * 1024, 2, 1


def _hasher() -> PasswordHasher:
    # read at each call, so the cost has one place to change (the suite lowers it)
    return PasswordHasher(
        time_cost=TIME_COST, memory_cost=MEMORY_KIB, parallelism=PARALLELISM, type=Type.ID
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """A hash weaker than the cost above (an older station's) is made again at the next
    sign-in; a stronger one is kept: a hash is never made cheaper."""
    try:
        p = extract_parameters(stored_hash)
    except InvalidHashError:
        return True
    return (
        p.type is not Type.ID
        or p.memory_cost < MEMORY_KIB
        or p.time_cost < TIME_COST
        or p.parallelism < PARALLELISM
        or p.hash_len < 32
        or p.salt_len < 16
    )
