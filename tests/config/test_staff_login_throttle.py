"""Staff logins are throttled (django-axes): failures for one username from one address
lock that pair out; a success resets the count."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "the-right-password-for-tests"


@pytest.fixture
def staff(settings) -> User:
    settings.AXES_FAILURE_LIMIT = 3
    return User.objects.create_user("sam", password=PASSWORD, is_staff=True)


def admin_login(client: Client, password: str, *, ip: str = "203.0.113.7"):
    data = {"username": "sam", "password": password, "next": "/admin/"}
    return client.post("/admin/login/", data, REMOTE_ADDR=ip)


def test_it_locks_out_after_the_failure_limit_even_with_the_right_password(client, staff):
    answers = [admin_login(client, "wrong").status_code for _ in range(3)]
    assert answers == [200, 200, 429]  # the form again, with an error, until the limit
    assert admin_login(client, PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_success_resets_the_count(client, staff):
    for _ in range(2):
        admin_login(client, "wrong")
    assert admin_login(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(2):
        admin_login(client, "wrong")
    assert admin_login(client, PASSWORD).status_code == 302


def test_the_lockout_is_of_that_address_only(client, staff):
    for _ in range(3):
        admin_login(client, "wrong", ip="203.0.113.7")
    assert admin_login(Client(), PASSWORD, ip="198.51.100.4").status_code == 302


def test_the_console_login_is_throttled_too(client, staff):
    data = {"username": "sam", "password": "wrong"}
    for _ in range(3):
        client.post("/console/login/", data, REMOTE_ADDR="203.0.113.8")
    data["password"] = PASSWORD
    assert client.post("/console/login/", data, REMOTE_ADDR="203.0.113.8").status_code == 429
