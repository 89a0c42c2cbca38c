"""API keys: made by a command that shows the key once, stored as a hash, listed, scoped
and revoked in admin."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.api.models import ApiKey, Scope
from apps.api.services import key_authenticate, key_hash

pytestmark = pytest.mark.django_db


def create(name: str) -> str:
    out = io.StringIO()
    call_command("api_key_create", name, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def test_the_command_prints_the_key_once_and_stores_only_its_hash():
    secret = create("shop-app")
    key = ApiKey.objects.get(name="shop-app")
    stored = [str(value) for value in ApiKey.objects.values().get(id=key.id).values()]
    assert secret.startswith("sd-") and len(secret) > 40
    assert not any(secret in value for value in stored)
    assert key.key_hash == key_hash(secret) and key.prefix == secret[:10]
    assert key.scopes == [Scope.CHAT, Scope.CONVERSATIONS]
    assert key_authenticate(secret) == key
    assert key_authenticate(secret + "x") is None
    with pytest.raises(CommandError, match="exists already"):
        create("shop-app")


def test_admin_lists_keys_and_revokes_them_but_makes_none(admin_client):
    secret = create("shop-app")
    key = ApiKey.objects.get(name="shop-app")
    listed = admin_client.get("/admin/api/apikey/")
    assert listed.status_code == 200 and key.prefix in listed.content.decode()
    assert admin_client.get("/admin/api/apikey/add/").status_code == 403
    admin_client.post(
        "/admin/api/apikey/", {"action": "revoke", "_selected_action": [key.id]}, follow=True
    )
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert key_authenticate(secret) is None
