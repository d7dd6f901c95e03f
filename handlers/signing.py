"""Slack request signatures (``v0=`` HMAC-SHA256), checked so that nothing malformed passes.

Used twice on purpose: by the HTTP front door (:mod:`bot.serve`), before a body is even
parsed, and by the Bolt middleware (:mod:`handlers.frontdoor`) for every other transport.
"""

from __future__ import annotations

import hmac
from hashlib import sha256

__all__ = ["MAX_SKEW_SECONDS", "signature_ok"]

#: How far a request's timestamp may be from now (Slack's rule: five minutes).
MAX_SKEW_SECONDS = 300


def signature_ok(
    secret: str, body: str | bytes, timestamp: str | None, signature: str | None, *, now: float
) -> bool:
    """True only for a well-formed, fresh timestamp and a matching ``v0=`` signature.

    Never raises: a missing, empty, non-numeric (``abc``, ``1.5``, ``-1``) or stale
    timestamp, or a missing or wrong signature, is simply invalid.
    """
    if not secret or not timestamp or not signature:
        return False
    if len(timestamp) > 12 or not (timestamp.isascii() and timestamp.isdigit()):
        return False
    if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        return False
    raw = body.encode("utf-8") if isinstance(body, str) else body
    digest = hmac.new(secret.encode("utf-8"), b"v0:" + timestamp.encode() + b":" + raw, sha256)
    expected = ("v0=" + digest.hexdigest()).encode()
    return hmac.compare_digest(expected, signature.encode("utf-8", "replace"))
