from django.contrib import admin
from django.urls import include, path

from apps.dashboard import views as dashboard_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("ops/", include("apps.dashboard.urls")),
    path("healthz", dashboard_views.healthz, name="healthz"),
    path("metrics", dashboard_views.metrics, name="metrics"),
    path("console/", include("apps.console.urls")),
    path("v1/", include("apps.api.urls")),
    path("", include("apps.conversations.urls")),
]
