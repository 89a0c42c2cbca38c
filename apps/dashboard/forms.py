"""The outcome figures' date range, from the dashboard's form or a CSV link."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.conf import settings
from django.utils import timezone

from apps.dashboard.outcomes import outcome_report

MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 7


class OutcomeRangeForm(forms.Form):
    start = forms.DateField(required=False)
    end = forms.DateField(required=False)

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        end = cleaned.get("end") or timezone.localdate()
        start = cleaned.get("start") or end - timedelta(days=DEFAULT_RANGE_DAYS - 1)
        if start > end:
            raise forms.ValidationError("The range must start on or before its end.")
        if (end - start).days >= MAX_RANGE_DAYS:
            raise forms.ValidationError(f"A range is at most {MAX_RANGE_DAYS} days.")
        cleaned.update(start=start, end=end)
        return cleaned

    def range(self) -> tuple[date, date]:
        return self.cleaned_data["start"], self.cleaned_data["end"]


def outcome_range(params: dict) -> OutcomeRangeForm:
    """The form bound to ``params`` (a request's GET); empty fields mean the last week."""
    return OutcomeRangeForm({key: params.get(key, "") for key in ("start", "end")})


def outcomes_context(params: dict) -> dict:
    """What the outcome table renders (on /ops/ and in admin) for a request's GET."""
    form = outcome_range(params)
    report = outcome_report(*form.range()) if form.is_valid() else None
    return {"range_form": form, "report": report, "idle_minutes": settings.OUTCOME_IDLE_MINUTES}
