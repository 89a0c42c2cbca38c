from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.api import services
from apps.api.models import ApiCustomer, ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are made with ``manage.py api_key_create NAME``, which shows the key once;
    here staff list them, set scopes, limits and webhooks, and revoke them."""

    list_display = (
        "name", "prefix", "scopes", "rate_limit_per_minute", "webhook_url", "created_at",
        "last_used_at", "revoked_at",
    )  # fmt: skip
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix")
    fields = (
        "name", "prefix", "scopes", "rate_limit_per_minute", "webhook_url", "webhook_secret",
        "created_at", "last_used_at", "revoked_at",
    )  # fmt: skip
    readonly_fields = ("prefix", "webhook_secret", "created_at", "last_used_at")
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a key made here could never be shown: use api_key_create

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        revoked = services.key_revoke(key_ids=list(queryset.values_list("id", flat=True)))
        self.message_user(request, f"{revoked} key(s) revoked.", messages.SUCCESS)


@admin.register(ApiCustomer)
class ApiCustomerAdmin(admin.ModelAdmin):
    list_display = ("conversation", "customer", "key")
    list_filter = ("key",)
    search_fields = ("customer",)
    readonly_fields = ("conversation", "key", "customer")
