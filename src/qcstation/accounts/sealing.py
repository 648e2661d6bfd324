"""Secrets at rest: private keys encrypted under a passphrase, or wrapped to another key.

Two envelopes, each one self-describing text line (base64url fields joined by ``$``):

``pw1$m=..,t=..,p=..$SALT$NONCE$CIPHERTEXT``
    AES-256-GCM under a key derived from a passphrase with argon2id (the parameters
    travel with the envelope, so they can be raised later without breaking old ones).
``ec1$EPHEMERAL$NONCE$CIPHERTEXT`` / ``rsa1$WRAPPED$NONCE$CIPHERTEXT``
    Wrapped to a public key: ECDH with an ephemeral key + HKDF-SHA256 (EC keys), or an
    RSA-OAEP wrapped content key (RSA keys); AES-256-GCM either way.

Every envelope is bound to a ``context`` (GCM associated data) naming what it holds, so
an envelope copied onto another key's row does not open there.
"""

from __future__ import annotations

import base64
import os

from argon2 import Type
from argon2.low_level import hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from qcstation.accounts import passwords


class WrongPassphrase(ValueError):
    """The passphrase (or key) does not open this envelope, or the envelope was altered."""


class UnsupportedKey(ValueError):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(passphrase: str, salt: bytes, m: int, t: int, p: int) -> bytes:
    return hash_secret_raw(passphrase.encode("utf-8"), salt, t, m, p, 32, Type.ID)


def seal(secret: bytes, passphrase: str, context: str) -> str:
    """Encrypt ``secret`` under ``passphrase``."""
    salt, nonce = os.urandom(16), os.urandom(12)
    # the password hashes' cost (OWASP's argon2id minimum), read at each call
    m, t, p = passwords.MEMORY_KIB, passwords.TIME_COST, passwords.PARALLELISM
    key = _derive(passphrase, salt, m, t, p)
    ct = AESGCM(key).encrypt(nonce, secret, context.encode("utf-8"))
    params = f"m={m},t={t},p={p}"
    return "$".join(("pw1", params, _b64(salt), _b64(nonce), _b64(ct)))


def unseal(envelope: str, passphrase: str, context: str) -> bytes:
    """Decrypt a passphrase envelope; WrongPassphrase when it does not open."""
    try:
        kind, params, salt, nonce, ct = envelope.split("$")
        if kind != "pw1":
            raise ValueError(kind)
        p = dict(part.split("=") for part in params.split(","))
        key = _derive(passphrase, _unb64(salt), int(p["m"]), int(p["t"]), int(p["p"]))
    except (ValueError, KeyError) as exc:
        raise WrongPassphrase(f"not a passphrase envelope: {exc}") from None
    try:
        return AESGCM(key).decrypt(_unb64(nonce), _unb64(ct), context.encode("utf-8"))
    except InvalidTag:
        raise WrongPassphrase("wrong passphrase") from None


def _ec_kek(shared: bytes, context: str) -> bytes:
    return HKDF(hashes.SHA256(), 32, None, b"qcstation-wrap:" + context.encode()).derive(shared)


def wrap(secret: bytes, recipient: object, context: str) -> str:
    """Encrypt ``secret`` so that only the holder of ``recipient``'s private key opens it."""
    nonce = os.urandom(12)
    aad = context.encode("utf-8")
    if isinstance(recipient, ec.EllipticCurvePublicKey):
        eph = ec.generate_private_key(recipient.curve)
        kek = _ec_kek(eph.exchange(ec.ECDH(), recipient), context)
        point = eph.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
        )
        ct = AESGCM(kek).encrypt(nonce, secret, aad)
        return "$".join(("ec1", _b64(point), _b64(nonce), _b64(ct)))
    if isinstance(recipient, rsa.RSAPublicKey):
        cek = AESGCM.generate_key(256)
        wrapped = recipient.encrypt(cek, _oaep())
        ct = AESGCM(cek).encrypt(nonce, secret, aad)
        return "$".join(("rsa1", _b64(wrapped), _b64(nonce), _b64(ct)))
    raise UnsupportedKey(f"cannot wrap a secret to a {type(recipient).__name__}")


def unwrap(envelope: str, private_key: object, context: str) -> bytes:
    aad = context.encode("utf-8")
    try:
        kind, first, nonce, ct = envelope.split("$")
        if kind == "ec1" and isinstance(private_key, ec.EllipticCurvePrivateKey):
            eph = ec.EllipticCurvePublicKey.from_encoded_point(private_key.curve, _unb64(first))
            kek = _ec_kek(private_key.exchange(ec.ECDH(), eph), context)
        elif kind == "rsa1" and isinstance(private_key, rsa.RSAPrivateKey):
            kek = private_key.decrypt(_unb64(first), _oaep())
        else:
            raise ValueError(f"a {kind} envelope does not open with a {type(private_key).__name__}")
        return AESGCM(kek).decrypt(_unb64(nonce), _unb64(ct), aad)
    except (ValueError, InvalidTag) as exc:
        raise WrongPassphrase(f"the wrapped key does not open: {exc or 'altered'}") from None


def _oaep() -> padding.OAEP:
    return padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None)
