"""Webhook secrets and signatures, as the Standard Webhooks specification has them (standardwebhooks.com).

A secret reads `whsec_<base64 of 32 bytes>`; those bytes are the HMAC-SHA256 key. The signature of a
message is `v1,<base64 of HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>")>`, so receivers can
check it with the specification's libraries or a few lines of their own (README, "Webhooks").

The key itself is never stored. It is derived from the platform's SECRET_KEY and the endpoint's random seed:
HMAC-SHA256(SECRET_KEY, label + seed). Hashing it like a password is impossible (signing needs it in clear),
and encrypting it would need a key kept in the same place as SECRET_KEY; deriving it keeps a leaked database
or backup from signing anything, with the standard library alone. Changing SECRET_KEY changes every
endpoint's secret (as it ends every session): owners then rotate and copy the new ones.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
SEED_BYTES = 32
_LABEL = b"tremplin webhook signing key\x00"


def new_seed() -> bytes:
    return secrets.token_bytes(SEED_BYTES)


def signing_key(secret_key: str, seed: bytes) -> bytes:
    return hmac.new(secret_key.encode(), _LABEL + seed, hashlib.sha256).digest()


def secret_text(key: bytes) -> str:
    """The secret as shown to the owner, once, at creation or rotation."""
    return PREFIX + base64.b64encode(key).decode()


def signature(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
