"""Job-end callbacks: a JSON POST per finished job, signed when a signature key is configured."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import queue
import threading
from typing import Any

import httpx

logger = logging.getLogger("sandbox.callbacks")
SIGNATURE_HEADER = "Elements-Webhook-Signature"
_TIMEOUT_S = 5.0


def sign(key: str, body: bytes) -> str:
    """`sha256=` + standard Base64 of HMAC-SHA256 over the raw body, keyed with `key` (UTF-8)."""
    digest = hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode("ascii")


class CallbackSender:
    """Posts callbacks from one background thread; a failing callback is logged, never raised."""

    def __init__(self, signature_key: str | None) -> None:
        self._key = signature_key
        self._queue: queue.Queue[tuple[str, bytes] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="sandbox-callbacks", daemon=True)
        self._thread.start()

    def send(self, url: str, payload: dict[str, Any]) -> None:
        """Queue one callback."""
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        self._queue.put((url, body))

    def stop(self, timeout: float = 10.0) -> None:
        """Send what is queued, then stop the thread."""
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        with httpx.Client(timeout=_TIMEOUT_S) as client:
            while (item := self._queue.get()) is not None:
                url, body = item
                headers = {"Content-Type": "application/json"}
                if self._key is not None:
                    headers[SIGNATURE_HEADER] = sign(self._key, body)
                try:
                    response = client.post(url, content=body, headers=headers)
                    if response.status_code >= 400:
                        logger.warning("callback to %s answered %s", url, response.status_code)
                except (httpx.HTTPError, httpx.InvalidURL) as exc:
                    logger.warning("callback to %s failed: %s", url, exc)
                except Exception:  # one bad callback must not end the thread
                    logger.warning("callback to %s failed", url, exc_info=True)
