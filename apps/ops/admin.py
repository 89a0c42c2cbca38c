from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from apps.ops.models import RoutingFlags
from apps.ops.services import EDITABLE_FIELDS, flags_update


@admin.register(RoutingFlags)
class RoutingFlagsAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "mode", "kill_local", "kill_cloud", "kill_faq", "updated_at")
    fields = EDITABLE_FIELDS
    history_list_display = ("mode", "kill_local", "kill_cloud", "kill_faq")

    def has_add_permission(self, request) -> bool:
        return not RoutingFlags.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        # Through the service, so admin edits are audited and reach workers like /ops/ edits.
        flags_update(user=request.user, changes={f: form.cleaned_data[f] for f in EDITABLE_FIELDS})
        obj.pk = 1
