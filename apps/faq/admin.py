from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from apps.faq import services
from apps.faq.embeddings import configured_embedder
from apps.faq.models import FaqEntry
from apps.faq.selectors import faq_embedding_progress


class TagFilter(admin.SimpleListFilter):
    title = "tag"
    parameter_name = "tag"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        tags = FaqEntry.objects.values_list("tags", flat=True)
        return [(t, t) for t in sorted({tag for row in tags for tag in row})]

    def queryset(self, request: HttpRequest, queryset: QuerySet[FaqEntry]) -> QuerySet[FaqEntry]:
        if self.value():
            return queryset.filter(tags__contains=[self.value()])
        return queryset


@admin.register(FaqEntry)
class FaqEntryAdmin(admin.ModelAdmin):
    list_display = (
        "external_id",
        "language",
        "short_question",
        "enabled",
        "hit_count",
        "updated_at",
    )
    list_filter = ("language", "enabled", TagFilter)
    search_fields = ("external_id", "question", "answer")
    readonly_fields = ("hit_count", "created_at", "updated_at", "embedding_model", "embedded_at")
    actions = ("enable_entries", "disable_entries")

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        # Where staff look after an import: how far the background embedding has come.
        if request.method == "GET":
            model_id = configured_embedder().model_id
            progress = faq_embedding_progress(model_id=model_id)
            self.message_user(request, f"Embeddings ({model_id}): {progress}.", messages.INFO)
        return super().changelist_view(request, extra_context)

    @admin.display(description="question")
    def short_question(self, obj: FaqEntry) -> str:
        return obj.question if len(obj.question) <= 80 else obj.question[:79] + "…"

    # Writes go through the services so every process's index and the answer cache follow.
    def save_model(self, request: HttpRequest, obj: FaqEntry, form, change: bool) -> None:
        services.faq_entry_save(entry=obj)

    def delete_model(self, request: HttpRequest, obj: FaqEntry) -> None:
        services.faq_entries_delete(entries=FaqEntry.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[FaqEntry]) -> None:
        services.faq_entries_delete(entries=queryset)

    @admin.action(description="Enable selected entries")
    def enable_entries(self, request: HttpRequest, queryset: QuerySet[FaqEntry]) -> None:
        changed = services.faq_entries_set_enabled(entries=queryset, enabled=True)
        self.message_user(request, f"{changed} entries enabled.", messages.SUCCESS)

    @admin.action(description="Disable selected entries")
    def disable_entries(self, request: HttpRequest, queryset: QuerySet[FaqEntry]) -> None:
        changed = services.faq_entries_set_enabled(entries=queryset, enabled=False)
        self.message_user(request, f"{changed} entries disabled.", messages.SUCCESS)
