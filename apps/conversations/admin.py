from django.contrib import admin

from apps.conversations.models import Conversation, Message


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    fields = ("created_at", "role", "status", "route", "text", "ttft_ms", "total_ms")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("uuid", "status", "language", "created_at", "updated_at")
    list_filter = ("status", "language", "created_at")
    search_fields = ("uuid", "session_key", "messages__text")
    readonly_fields = ("uuid", "session_key", "created_at", "updated_at")
    inlines = [MessageInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "conversation",
        "role",
        "status",
        "route",
        "model_name",
        "ttft_ms",
        "total_ms",
        "tokens_in",
        "tokens_out",
        "created_at",
    )
    list_filter = ("status", "route", "role", "created_at")
    search_fields = ("text", "conversation__uuid")
    list_select_related = ("conversation",)
    raw_id_fields = ("conversation", "reply_to")
    readonly_fields = ("created_at", "updated_at")
