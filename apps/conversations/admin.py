from django.contrib import admin

from apps.conversations.models import Conversation, Csat, Message


class MessageInline(admin.TabularInline):
    model = Message
    fk_name = "conversation"
    extra = 0
    can_delete = False
    fields = (
        "created_at",
        "role",
        "event",
        "notice_kind",
        "author",
        "status",
        "route",
        "fallback_reason",
        "held_reason",
        "finish_reason",
        "grounded_on",
        "sentiment",
        "sentiment_score",
        "text",
        "ttft_ms",
        "total_ms",
    )
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class CsatInline(admin.StackedInline):
    model = Csat
    extra = 0
    can_delete = False
    fields = ("trigger", "requested_at", "rating", "comment", "rated_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = (
        "uuid",
        "channel",
        "status",
        "escalation_reason",
        "sentiment",
        "sentiment_score",
        "assigned_agent",
        "language",
        "created_at",
        "updated_at",
    )
    list_filter = (
        "channel",
        "status",
        "escalation_reason",
        "sentiment",
        "language",
        ("assigned_agent", admin.RelatedOnlyFieldListFilter),
        "messages__route",
        "created_at",
    )
    search_fields = ("uuid", "messages__text")
    readonly_fields = ("uuid", "session_key", "created_at", "updated_at")
    list_select_related = ("assigned_agent",)
    date_hierarchy = "created_at"
    inlines = [CsatInline, MessageInline]

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return queryset.distinct(), may_have_duplicates


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "conversation",
        "role",
        "status",
        "route",
        "fallback_reason",
        "held_reason",
        "finish_reason",
        "sentiment",
        "sentiment_score",
        "model_name",
        "ttft_ms",
        "total_ms",
        "tokens_in",
        "tokens_out",
        "created_at",
    )
    list_filter = (
        "conversation__channel",
        "status",
        "route",
        "fallback_reason",
        "held_reason",
        "finish_reason",
        "role",
        "sentiment",
        "created_at",
    )
    search_fields = ("text", "conversation__uuid")
    list_select_related = ("conversation",)
    raw_id_fields = ("conversation", "reply_to", "author")
    readonly_fields = ("created_at", "updated_at", "grounded_on")
    date_hierarchy = "created_at"


@admin.register(Csat)
class CsatAdmin(admin.ModelAdmin):
    """Ratings as the customers gave them: read only."""

    list_display = ("conversation", "rating", "trigger", "requested_at", "rated_at", "comment")
    list_filter = ("rating", "trigger", "rated_at")
    search_fields = ("comment", "conversation__uuid")
    list_select_related = ("conversation",)
    date_hierarchy = "requested_at"
    readonly_fields = (
        "conversation",
        "trigger",
        "requested_at",
        "rating",
        "comment",
        "rated_at",
    )

    def has_add_permission(self, request) -> bool:
        return False
