"""Signatures exactly as the providers make them, so our verifiers meet the real schemes.

Twilio: X-Twilio-Signature = base64(HMAC-SHA1(auth token, URL + sorted params)),
computed by the SDK's own RequestValidator. SendGrid's Signed Event Webhook:
ECDSA P-256 over SHA-256 of (timestamp + raw body), base64 of the DER
signature; the verification key is shown as base64 of the DER public key.
"""
from __future__ import annotations

import base64

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from shared.provider_signatures import twilio_signature  # noqa: F401  (the sandbox's callbacks and tests sign with it)


def signing_key(pem: str | None) -> ec.EllipticCurvePrivateKey:
    """The configured key, or a fresh one (then the public key is read from the sandbox)."""
    if not pem:
        return ec.generate_private_key(ec.SECP256R1())
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("the SendGrid signing key must be an EC P-256 private key")
    return key


def private_key_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def public_key_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def public_key_base64(key: ec.EllipticCurvePrivateKey) -> str:
    """The form SendGrid's settings page shows and EventWebhook(public_key=...) takes."""
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def sendgrid_signature(key: ec.EllipticCurvePrivateKey, timestamp: str, body: bytes) -> str:
    return base64.b64encode(key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()
