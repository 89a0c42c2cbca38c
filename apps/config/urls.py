from django.contrib import admin
from django.urls import include, path

from apps.ops import views as ops_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("ops/", include("apps.ops.urls")),
    path("healthz", ops_views.healthz, name="healthz"),
    path("metrics", ops_views.metrics, name="metrics"),
    path("console/", include("apps.console.urls")),
    path("", include("apps.conversations.urls")),
]
