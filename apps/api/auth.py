"""Who calls: the bearer key, its scope and its own rate limit."""

from __future__ import annotations

from django.http import HttpRequest

from apps.api import services
from apps.api.completions import on_db
from apps.api.errors import forbidden, rate_limited, unauthenticated
from apps.api.models import ApiKey
from apps.conversations import ratelimit


async def key_for(request: HttpRequest, scope: str | None = None) -> ApiKey:
    """The live key the request carries (``Authorization: Bearer <key>``), within its
    rate limit, holding ``scope``; else an ``ApiError`` (401, 403 or 429)."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise unauthenticated("no API key: send the header Authorization: Bearer <key>")
    key = await on_db(services.key_authenticate)(secret.strip())
    if key is None:
        raise unauthenticated("the API key is unknown or revoked")
    if scope is not None and scope not in key.scopes:
        raise forbidden(scope)
    # Counted under the key's hash, not its id: ids restart with a new database, and
    # Redis keeps counting.
    wait_s = await ratelimit.retry_after_rate(services.rate_of(key), "api", key.key_hash[:16])
    if wait_s is not None:
        raise rate_limited(wait_s)
    return key
