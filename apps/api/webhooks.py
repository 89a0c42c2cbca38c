"""Agent replies pushed to the integrator's webhook, signed with HMAC-SHA256.

The signature is ``X-SurgeDesk-Signature: sha256=<hex>``, the HMAC-SHA256 under the key's
``webhook_secret`` of ``<X-SurgeDesk-Timestamp>.<body>``: a receiver recomputes it, compares
in constant time and refuses old timestamps (a replayed push).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.request
from typing import Any

from django.conf import settings

from apps.api.models import ApiCustomer
from apps.conversations.models import Message
from apps.conversations.staff import agent_name

SIGNATURE_HEADER = "X-SurgeDesk-Signature"
TIMESTAMP_HEADER = "X-SurgeDesk-Timestamp"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def agent_message_payload(message: Message, customer: ApiCustomer) -> dict[str, Any]:
    return {
        "type": "agent.message",
        "conversation": str(message.conversation.uuid),
        "user": customer.customer or None,
        "message": {
            "id": message.id,
            "role": "agent",
            "content": message.text,
            "agent": agent_name(message.author) if message.author else None,
            "created": int(message.created_at.timestamp()),
        },
    }


def agent_message_push(*, message_id: int) -> bool:
    """POST the agent's message to its key's webhook; False when the key has none. A
    failed POST raises (the task retries it)."""
    message = Message.objects.select_related("conversation", "author").get(id=message_id)
    customer = (
        ApiCustomer.objects.select_related("key").filter(conversation=message.conversation).first()
    )
    if customer is None or not customer.key.webhook_url or customer.key.revoked_at:
        return False
    body = json.dumps(agent_message_payload(message, customer), ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        customer.key.webhook_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(customer.key.webhook_secret, timestamp, body),
        },
    )
    with urllib.request.urlopen(request, timeout=settings.API_WEBHOOK_TIMEOUT_S):
        return True
