from __future__ import annotations

from django.urls import path

from apps.dashboard import views

# The namespace names the page (/ops/), which this roof app serves.
app_name = "ops"

urlpatterns = [
    path("", views.ops_page, name="page"),
    path("flags/", views.flags_save, name="flags_save"),
    path("status/", views.ops_status, name="status"),
    path("plots/", views.plots, name="plots"),
    path("outcomes/", views.outcomes, name="outcomes"),
    path("outcomes.csv", views.outcomes_export, name="outcomes_csv"),
]
