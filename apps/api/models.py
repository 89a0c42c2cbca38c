from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from apps.conversations.models import Conversation


class Scope(models.TextChoices):
    CHAT = "chat", "chat: POST /v1/chat/completions"
    CONVERSATIONS = "conversations", "conversations: read a conversation's messages"


def all_scopes() -> list[str]:
    return list(Scope.values)


class ApiKey(models.Model):
    """An integrator's key. Only its SHA-256 is stored: the key is shown once, when made."""

    name = models.CharField(max_length=100, unique=True)
    # The key's first characters, shown in admin to tell keys apart.
    prefix = models.CharField(max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = ArrayField(
        models.CharField(max_length=32, choices=Scope.choices), default=all_scopes, blank=True
    )
    # Requests a minute; empty: API_RATE_LIMIT_PER_MINUTE.
    rate_limit_per_minute = models.PositiveIntegerField(null=True, blank=True)
    # Agent replies are POSTed here, signed with HMAC-SHA256 under ``webhook_secret``.
    webhook_url = models.URLField(blank=True, default="")
    webhook_secret = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ApiCustomer(models.Model):
    """Which key and which of its customers (the request's ``user``) a conversation is."""

    conversation = models.OneToOneField(
        Conversation, primary_key=True, on_delete=models.CASCADE, related_name="api_customer"
    )
    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="customers")
    customer = models.CharField(max_length=256, blank=True, default="")

    class Meta:
        verbose_name = "API customer"

    def __str__(self) -> str:
        return f"{self.customer or 'anonymous'} via {self.key.name}"
