from django.urls import path

from apps.conversations import views

urlpatterns = [
    path("", views.chat_page, name="chat"),
]
