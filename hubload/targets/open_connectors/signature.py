"""Callback signatures: ``Elements-Webhook-Signature: sha256=<base64 HMAC-SHA256 of the body>``."""

from __future__ import annotations

import base64
import hashlib
import hmac

SIGNATURE_HEADER = "Elements-Webhook-Signature"


def sign(body: bytes, key: str) -> str:
    """The header value the platform sends for ``body`` under ``key``."""
    digest = hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode("ascii")


def verify_signature(body: bytes, header_value: str | None, key: str) -> bool:
    """Whether ``header_value`` is the signature of the raw ``body``, compared in constant time."""
    if not header_value:
        return False
    return hmac.compare_digest(sign(body, key).encode("ascii"), header_value.strip().encode())
