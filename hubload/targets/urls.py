"""Target URLs checked once, and the one function that names a target to the outside world.

A URL that carries credentials (``https://user:secret@host/...``) is refused: a secret in a URL
leaks into every name, log line and lock built from it. Names that leave hubload (Prefect's
locks, tags, run names) are built by ``public_name`` from a ``TargetIdentity``, whose instance
is a URL already stripped of everything but scheme, host, port and path.
"""

from __future__ import annotations

import re

import httpx

from hubload.errors import ConfigError

_NAME_CHARS = re.compile(r"[^a-z0-9]+")
_MAX_NAME = 200


def checked_url(url: str, setting: str) -> str:
    """``url`` if it is an absolute http(s) URL with a host and no credentials, without its
    trailing slash.

    Raises:
        ConfigError: malformed, not http(s), without a host, or carrying credentials; the
            message names ``setting`` and never repeats the URL's user info.
    """
    text = url.strip()
    try:
        parsed = httpx.URL(text)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise ConfigError(f"{setting}: not a valid URL ({_kind(exc)})") from exc
    if parsed.scheme not in {"http", "https"}:
        raise ConfigError(
            f"{setting}: {parsed.scheme or 'no'} scheme; expected an http:// or https:// URL"
        )
    if not parsed.host:
        raise ConfigError(f"{setting}: the URL has no host (expected e.g. https://host/path)")
    if parsed.userinfo:
        raise ConfigError(
            f"{setting}: the URL carries credentials (user:password@); give them in their own "
            "settings, never in a URL"
        )
    return str(parsed.copy_with(query=None, fragment=None)).rstrip("/")


def public_url(url: str) -> str:
    """The URL without user info, query or fragment, host in lower case: safe to show."""
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError, ValueError):
        return "invalid-url"
    clean = parsed.copy_with(username=None, password=None, query=None, fragment=None)
    return str(clean).rstrip("/")


def public_name(prefix: str, *parts: str) -> str:
    """A name for Prefect (a lock, a tag) from public parts: lower-case letters, digits and
    dashes, at most 200 characters. Parts must already be public (an identity, an object)."""
    text = "-".join([prefix, *(public_url(p) if "://" in p else p for p in parts)])
    return _NAME_CHARS.sub("-", text.lower()).strip("-")[:_MAX_NAME]


def _kind(exc: BaseException) -> str:
    # The parser's message may quote the URL, user info included: give only its kind.
    return type(exc).__name__
