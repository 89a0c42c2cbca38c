from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from apps.console import views

app_name = "console"

urlpatterns = [
    path("", views.queue_page, name="queue"),
    path("queue/", views.queue_list, name="queue_list"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="console/login.html", next_page="console:queue"),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="console:login"), name="logout"),
    path("<int:conversation_id>/", views.conversation_page, name="conversation"),
    path("<int:conversation_id>/transcript/", views.transcript, name="transcript"),
    path("<int:conversation_id>/take-over/", views.take_over, name="take_over"),
    path("<int:conversation_id>/hand-back/", views.hand_back, name="hand_back"),
    path("<int:conversation_id>/close/", views.close, name="close"),
    path("<int:conversation_id>/reply/", views.reply, name="reply"),
    path("<int:conversation_id>/note/", views.note, name="note"),
    path("<int:conversation_id>/typing/", views.typing, name="typing"),
]
