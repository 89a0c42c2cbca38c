"""Fixtures for ops pages: users with and without the ops role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from apps.ops.flags import forget_cached_flags
from tests.inference.fixtures import (  # noqa: F401
    cloud_server,
    demo_faq,
    empty_faq,
    fresh_breakers,
    mlx_server,
    own_answer_cache,
    proxy_factory,
)


@pytest.fixture(autouse=True)
def no_cached_flags():
    """Each test reads the flags it wrote, not a copy another test left in this process."""
    forget_cached_flags()
    yield
    forget_cached_flags()


def make_user(username: str, *roles: str) -> User:
    user = User.objects.create_user(username, password="pw-for-tests-only", is_staff=True)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def ops_client(client, db):
    client.force_login(make_user("olivia", "ops"))
    return client


@pytest.fixture
def agent_client(client, db):
    client.force_login(make_user("arthur", "agent"))
    return client
