"""The demo's superuser (its password is in the README) is for the local demo only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from tests.config.test_https_settings import PRODUCTION, run


def test_it_refuses_to_run_in_production():
    result = run(["manage.py", "ensure_demo_staff"], **PRODUCTION)
    assert result.returncode != 0
    assert "refuses to run with SURGEDESK_ENV=production" in result.stderr


@pytest.mark.django_db
def test_it_creates_the_demo_login_in_dev():
    call_command("ensure_demo_staff", username="demo-test", password="pw-for-tests-only")
    user = User.objects.get(username="demo-test")
    assert user.is_superuser and user.check_password("pw-for-tests-only")
