from __future__ import annotations

from django.contrib import admin

from apps.console.models import CannedResponse


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ("title", "language", "enabled", "updated_at")
    list_filter = ("enabled", "language")
    list_editable = ("enabled",)
    search_fields = ("title", "text")
