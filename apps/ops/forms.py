from __future__ import annotations

from django import forms

from apps.ops.models import RoutingFlags
from apps.ops.services import EDITABLE_FIELDS


class RoutingFlagsForm(forms.ModelForm):
    """Validation lives on the model (field validators and ``clean``); this only renders it."""

    class Meta:
        model = RoutingFlags
        fields = EDITABLE_FIELDS
        widgets = {
            "local_keywords": forms.Textarea(attrs={"rows": 2}),
            "cloud_keywords": forms.Textarea(attrs={"rows": 2}),
        }
