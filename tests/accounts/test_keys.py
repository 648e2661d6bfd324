"""The plant's key material: sealed envelopes, certificates, PKCS#12 identities."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

from qcstation.accounts import keys, sealing

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def test_a_sealed_secret_opens_only_with_its_passphrase_and_context(production_cost: None) -> None:
    env = sealing.seal(b"secret key bytes", "pass phrase", "ctx-1")
    assert env.startswith("pw1$m=19456,t=2,p=1$")
    assert sealing.unseal(env, "pass phrase", "ctx-1") == b"secret key bytes"
    with pytest.raises(sealing.WrongPassphrase):
        sealing.unseal(env, "pass phrasE", "ctx-1")
    with pytest.raises(sealing.WrongPassphrase):
        sealing.unseal(env, "pass phrase", "ctx-2")  # moved to another key's row
    parts = env.split("$")
    parts[-1] = parts[-1][:-2] + ("AA" if parts[-1][-2:] != "AA" else "BB")
    with pytest.raises(sealing.WrongPassphrase):
        sealing.unseal("$".join(parts), "pass phrase", "ctx-1")
    with pytest.raises(sealing.WrongPassphrase, match="not a passphrase envelope"):
        sealing.unseal("garbage", "pass phrase", "ctx-1")


@pytest.mark.parametrize(
    "make", [keys.new_signing_key, lambda: rsa.generate_private_key(65537, 2048)]
)
def test_a_wrapped_secret_opens_with_the_recipients_private_key(make) -> None:  # type: ignore[no-untyped-def]
    key = make()
    env = sealing.wrap(b"seal key", key.public_key(), "ctx")
    assert sealing.unwrap(env, key, "ctx") == b"seal key"
    with pytest.raises(sealing.WrongPassphrase):
        sealing.unwrap(env, make(), "ctx")
    with pytest.raises(sealing.WrongPassphrase):
        sealing.unwrap(env, key, "other")
    with pytest.raises(sealing.UnsupportedKey):
        sealing.wrap(b"x", keys.new_seal_key().public_key(), "ctx")


def test_the_root_issues_user_and_seal_certificates() -> None:
    root_key = keys.new_signing_key()
    root = keys.make_root(root_key, "Acme Jewelry", NOW)
    user_key = keys.new_signing_key()
    cert = keys.issue(root_key, root, user_key.public_key(), "Ines Inspector", NOW, "ines")
    assert keys.issued_by(cert, root) and keys.issued_by(root, root)
    assert keys.subject_text(cert) == "CN=Ines Inspector, O=Acme Jewelry, OU=ines"
    seal = keys.issue(root_key, root, keys.new_seal_key().public_key(), "seal", NOW)
    assert keys.algorithm(keys.certificate_public_key(seal)) == "ed25519"
    other_root = keys.make_root(keys.new_signing_key(), "Elsewhere", NOW)
    assert not keys.issued_by(cert, other_root)
    assert keys.load_certs_pem(keys.cert_pem(root, cert)) == [root, cert]


@pytest.mark.parametrize(
    "make", [keys.new_signing_key, keys.new_seal_key, lambda: rsa.generate_private_key(65537, 2048)]
)
def test_signatures_verify_with_the_public_key_only(make) -> None:  # type: ignore[no-untyped-def]
    key = make()
    sig = keys.sign(key, b"manifest")
    assert keys.verify(key.public_key(), sig, b"manifest")
    assert not keys.verify(key.public_key(), sig, b"manifest!")
    assert not keys.verify(make().public_key(), sig, b"manifest")


def company_p12(passphrase: bytes | None) -> tuple[bytes, ec.EllipticCurvePrivateKey]:
    ca_key = keys.new_signing_key()
    ca = keys.make_root(ca_key, "Company PKI", NOW)
    key = keys.new_signing_key()
    cert = keys.issue(ca_key, ca, key.public_key(), "Sam Supervisor", NOW)
    enc = BestAvailableEncryption(passphrase) if passphrase else None
    data = pkcs12.serialize_key_and_certificates(
        b"sam",
        key,
        cert,
        [ca],
        enc
        or __import__(
            "cryptography.hazmat.primitives.serialization", fromlist=["NoEncryption"]
        ).NoEncryption(),
    )
    return data, key


def test_a_pkcs12_identity_loads_with_its_chain() -> None:
    data, key = company_p12(b"p12 pass")
    ident = keys.load_pkcs12(data, "p12 pass")
    assert keys.key_id(ident.key.public_key()) == keys.key_id(key.public_key())
    assert [keys.subject_text(c) for c in ident.chain] == [
        "CN=Company PKI quality root, O=Company PKI"
    ]
    with pytest.raises(keys.KeyFileError, match="wrong passphrase"):
        keys.load_pkcs12(data, "nope")
    with pytest.raises(keys.KeyFileError):
        keys.load_pkcs12(b"not a pkcs12 file", None)
