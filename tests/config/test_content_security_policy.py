"""Every page carries a Content-Security-Policy: scripts from this site only, no inline
script, no eval, and connections to this site and its own websocket alone."""

from __future__ import annotations

import pytest

from tests.console.conftest import client_for, make_user

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    parts = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in parts}


def assert_strict(policy: dict[str, list[str]]) -> None:
    assert policy["script-src"] == ["'self'"]
    sources = {source for values in policy.values() for source in values}
    assert not sources & {"'unsafe-eval'", "'unsafe-inline'"}
    assert policy["connect-src"] == ["'self'", "ws://testserver"]


def test_it_is_on_the_chat_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert_strict(directives(response))


def test_it_is_on_the_console(db):
    response = client_for(make_user("alice", "agent")).get("/console/")
    assert response.status_code == 200
    assert_strict(directives(response))


def test_it_is_on_the_admin(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert_strict(directives(response))


def test_a_secure_page_may_open_its_websocket_over_tls_only(client):
    response = client.get("/", secure=True)
    assert directives(response)["connect-src"] == ["'self'", "wss://testserver"]
