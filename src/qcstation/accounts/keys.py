"""The plant's signing keys: a root certificate, the certificates it issues, PKCS#12 imports.

The plant root is a self-signed ECDSA P-256 CA; it issues each user an ECDSA P-256
signing certificate, one Ed25519 "seal" certificate whose key signs the QR codes on
customer certificates (the seal's public key is what an offline verifier needs), and one
ECDSA P-256 "document" certificate (OU plant-documents, extended key usage
documentSigning) whose key signs every report and certificate PDF the plant issues. Nothing
here touches the database: the services store what these functions return, with every
private key sealed (see accounts/sealing.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey

ROOT_YEARS, USER_YEARS = 25, 5
# The plant document key's certificate: a unit no user name can be (user names have no
# space), and RFC 9336's documentSigning purpose, which no user certificate carries.
DOCUMENTS_UNIT = "plant documents"
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
_BACKDATE = timedelta(minutes=10)  # tolerate a verifier whose clock is a little behind


class KeyFileError(ValueError):
    """A key or certificate file that cannot be used; the message says why."""


@dataclass(frozen=True)
class Pkcs12Identity:
    key: PrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]


def key_id(public_key: PublicKey) -> str:
    """SHA-256 of the DER SubjectPublicKeyInfo: the one name of a key everywhere."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def algorithm(key: PublicKey | PrivateKey) -> str:
    if isinstance(key, (ec.EllipticCurvePublicKey, ec.EllipticCurvePrivateKey)):
        return f"ecdsa-{key.curve.name}"
    if isinstance(key, (rsa.RSAPublicKey, rsa.RSAPrivateKey)):
        return f"rsa-{key.key_size}"
    return "ed25519"


def new_signing_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def new_seal_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def _name(common_name: str, organization: str, unit: str | None = None) -> x509.Name:
    attrs = [
        x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization[:64] or "qcstation"),
    ]
    if unit:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit[:64]))
    return x509.Name(attrs)


def make_root(key: ec.EllipticCurvePrivateKey, plant: str, now: datetime) -> x509.Certificate:
    name = _name(f"{plant} quality root", plant)
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + timedelta(days=365 * ROOT_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def issue(
    root_key: ec.EllipticCurvePrivateKey,
    root: x509.Certificate,
    public_key: PublicKey,
    common_name: str,
    now: datetime,
    unit: str | None = None,
) -> x509.Certificate:
    """A signing certificate for a user (or the seal), issued by the plant root."""
    org = root.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    plant = str(org[0].value) if org else "qcstation"
    return _leaf(
        root_key,
        root,
        public_key,
        _name(common_name, plant, unit),
        ExtendedKeyUsageOID.EMAIL_PROTECTION,
        now,
    )


def issue_document_key(
    root_key: ec.EllipticCurvePrivateKey,
    root: x509.Certificate,
    public_key: ec.EllipticCurvePublicKey,
    plant: str,
    now: datetime,
) -> x509.Certificate:
    """The plant document key's certificate: it signs reports and certificates, nothing else."""
    name = _name(f"{plant} documents", plant, DOCUMENTS_UNIT)
    return _leaf(root_key, root, public_key, name, DOCUMENT_SIGNING, now)


def _leaf(
    root_key: ec.EllipticCurvePrivateKey,
    root: x509.Certificate,
    public_key: PublicKey,
    subject: x509.Name,
    usage: x509.ObjectIdentifier,
    now: datetime,
) -> x509.Certificate:
    """A certificate the plant root issues: never a CA, for signing only, for ``usage``."""
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(root.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(min(now + timedelta(days=365 * USER_YEARS), root.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )


def is_document_certificate(cert: x509.Certificate) -> bool:
    """Made by ``issue_document_key``: the plant's own document certificate, never a user's."""
    if certificate_unit(cert) != DOCUMENTS_UNIT:
        return False
    try:
        usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return DOCUMENT_SIGNING in list(usage)


def subject_text(cert: x509.Certificate) -> str:
    """The subject in reading order: CN=Ines Inspector, O=Plant, OU=ines."""
    return ", ".join(f"{a.rfc4514_attribute_name}={a.value!s}" for a in cert.subject)[:255]


def certificate_unit(cert: x509.Certificate) -> str | None:
    """The OU a plant certificate carries: the user name (or station) it was issued to."""
    found = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    return str(found[0].value) if found else None


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def load_pkcs12(data: bytes, passphrase: str | None) -> Pkcs12Identity:
    try:
        p12 = pkcs12.load_pkcs12(data, passphrase.encode("utf-8") if passphrase else None)
    except ValueError:
        raise KeyFileError(
            "the PKCS#12 file could not be opened: wrong passphrase, or not a PKCS#12 file"
        ) from None
    if p12.key is None or p12.cert is None:
        raise KeyFileError("the PKCS#12 file holds no private key with its certificate")
    key = p12.key
    if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
        raise KeyFileError(f"{type(key).__name__} keys cannot sign PDFs here: use ECDSA or RSA")
    cert = p12.cert.certificate
    if key_id(cert.public_key()) != key_id(key.public_key()):  # type: ignore[arg-type]
        raise KeyFileError("the PKCS#12 certificate does not belong to its private key")
    return Pkcs12Identity(key, cert, tuple(c.certificate for c in p12.additional_certs))


def private_der(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_private_der(der: bytes) -> PrivateKey:
    key = serialization.load_der_private_key(der, password=None)
    if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)) and not isinstance(
        key, ed25519.Ed25519PrivateKey
    ):
        raise KeyFileError(f"unsupported key type {type(key).__name__}")
    return key


def public_pem(key: PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_public_pem(text: str | bytes) -> PublicKey:
    data = text.encode("ascii") if isinstance(text, str) else text
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey, ed25519.Ed25519PublicKey)):
        raise KeyFileError(f"unsupported key type {type(key).__name__}")
    return key


def cert_pem(*certs: x509.Certificate) -> str:
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in certs)


def load_certs_pem(text: str | bytes) -> list[x509.Certificate]:
    data = text.encode("ascii") if isinstance(text, str) else text
    if not data.strip():
        return []
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError:
        raise KeyFileError("not a PEM certificate (or the PEM text is damaged)") from None


def certificate_public_key(cert: x509.Certificate) -> PublicKey:
    key = cert.public_key()
    if not isinstance(key, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey, ed25519.Ed25519PublicKey)):
        raise KeyFileError(f"unsupported certificate key {type(key).__name__}")
    return key


def sign(key: PrivateKey, data: bytes) -> bytes:
    """A detached signature: ECDSA-SHA256 (DER), RSA-PSS-SHA256, or Ed25519."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, _pss(), hashes.SHA256())
    return key.sign(data)


def verify(key: PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, _pss(), hashes.SHA256())
        else:
            key.verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


def _pss() -> padding.PSS:
    return padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH)
