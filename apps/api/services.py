"""Writes of the API: keys, the conversation of a key's customer, a customer's turn."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.api.models import ApiCustomer, ApiKey
from apps.conversations import services as conversations
from apps.conversations.models import Conversation, Message
from apps.inference.prompts import Turn

KEY_PREFIX = "sd-"
# How stale ``last_used_at`` may be: one write a minute per key, not one per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    secret: str  # the key itself: shown once, never stored


def key_hash(secret: str) -> str:
    """Keys are 256 random bits: a plain SHA-256 is enough (nothing to brute-force)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def key_create(*, name: str, webhook_url: str = "") -> NewKey:
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        name=name,
        prefix=secret[:10],
        key_hash=key_hash(secret),
        webhook_url=webhook_url,
        webhook_secret="whsec_" + secrets.token_urlsafe(32),
    )
    return NewKey(key=key, secret=secret)


def key_authenticate(secret: str) -> ApiKey | None:
    """The live key ``secret`` is, or None (unknown or revoked)."""
    key = ApiKey.objects.filter(key_hash=key_hash(secret), revoked_at__isnull=True).first()
    if key is not None:
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.objects.filter(id=key.id).update(last_used_at=now)
    return key


def key_revoke(*, key_ids: list[int]) -> int:
    return ApiKey.objects.filter(id__in=key_ids, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def rate_of(key: ApiKey) -> str:
    """The key's limit in ``limits`` notation."""
    return f"{key.rate_limit_per_minute or settings.API_RATE_LIMIT_PER_MINUTE}/minute"


def customer_session_key(key: ApiKey, customer: str) -> str:
    """The conversation key of one customer of one key: so each keeps one open
    conversation, as a browser session does. Without a customer, every request is one."""
    who = customer or uuid.uuid4().hex
    return f"api:{key.id}:{hashlib.sha256(who.encode()).hexdigest()[:40]}"


def customer_conversation(*, key: ApiKey, customer: str) -> Conversation:
    """The customer's open conversation (channel ``api``), made on first use."""
    conversation = conversations.conversation_for_session(
        session_key=customer_session_key(key, customer), channel=Conversation.Channel.API
    )
    try:
        with transaction.atomic():
            ApiCustomer.objects.get_or_create(
                conversation=conversation, defaults={"key": key, "customer": customer}
            )
    except IntegrityError:  # a concurrent request recorded it first
        pass
    return conversation


def client_msg_id(key: ApiKey, customer: str, turns: list[Turn], idempotency_key: str) -> uuid.UUID:
    """The turn's id, the same for a retried request: from the client's ``Idempotency-Key``,
    else from the whole history it sent. A retry is not answered twice."""
    basis = idempotency_key or "\x1e".join(f"{t.role}\x1f{t.text}" for t in turns)
    return uuid.uuid5(uuid.NAMESPACE_URL, f"surgedesk:{key.id}:{customer}:{basis}")


def reply_to(customer_message: Message) -> Message | None:
    """The AI reply a (resent) customer message got, if any."""
    return customer_message.replies.filter(role=Message.Role.ASSISTANT).order_by("id").first()
