"""Only the ops role reaches /ops/; the roles exist from a migration."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group

pytestmark = pytest.mark.django_db


def test_it_creates_the_ops_and_agent_roles_in_a_migration():
    # The migration's own step, on a table a transactional test elsewhere may have flushed.
    roles = importlib.import_module("apps.ops.migrations.0002_roles")
    Group.objects.filter(name__in=roles.ROLES).delete()
    roles.create_roles(django_apps, schema_editor=None)
    roles.create_roles(django_apps, schema_editor=None)  # again: no second copy
    names = Group.objects.filter(name__in=("ops", "agent")).values_list("name", flat=True)
    assert sorted(names) == ["agent", "ops"]


def test_it_sends_anonymous_users_to_the_login_page(client):
    response = client.get("/ops/")
    assert response.status_code == 302
    assert response["Location"].startswith("/console/login/")


def test_it_refuses_an_agent(agent_client):
    assert agent_client.get("/ops/").status_code == 403
    assert agent_client.post("/ops/flags/", {"mode": "faq_only"}).status_code == 403


def test_it_shows_flags_and_breaker_states_to_ops(ops_client):
    response = ops_client.get("/ops/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="mode"' in body
    assert 'data-backend="cloud"' in body
    assert 'data-backend="local"' in body


def test_the_status_fragment_polls_breaker_states(ops_client):
    response = ops_client.get("/ops/status/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert 'data-backend="cloud"' in response.content.decode()
