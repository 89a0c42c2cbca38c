"""Admin's page of AI outcome figures: the dashboard's table for a chosen range, read-only."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse

from apps.dashboard.forms import outcomes_context
from apps.dashboard.models import AiOutcome


@admin.register(AiOutcome)
class AiOutcomeAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": "AI outcomes",
            "opts": self.model._meta,
            **outcomes_context(request.GET),
        }
        return TemplateResponse(request, "admin/dashboard/aioutcome/change_list.html", context)
