"""Breaker state lives in Redis: a breaker opened in one process is open in another."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

from apps.inference.breakers import breaker_state, get_breaker
from tests.stack import ROOT

pytestmark = pytest.mark.usefixtures("fresh_breakers")

SCRIPT = """
import sys, django
django.setup()
from apps.inference.breakers import breaker_state, get_breaker
if sys.argv[1] == "open":
    get_breaker("cloud").open()
print(breaker_state("cloud"))
"""


def other_process(action: str) -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "apps.config.settings",
        "REDIS_URL": settings.REDIS_URL,
        "BREAKER_NAMESPACE": settings.BREAKER_NAMESPACE,
        "BREAKER_RESET_TIMEOUT_S": "60",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, action],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return done.stdout.strip().splitlines()[-1]


def test_a_breaker_opened_in_another_process_is_open_here(settings):
    settings.BREAKER_RESET_TIMEOUT_S = 60
    assert breaker_state("cloud") == "closed"
    assert other_process("open") == "open"
    assert breaker_state("cloud") == "open"
    assert breaker_state("local") == "closed"  # one namespace per backend


def test_a_breaker_opened_here_is_open_in_another_process(settings):
    settings.BREAKER_RESET_TIMEOUT_S = 60
    get_breaker("cloud").open()
    assert other_process("read") == "open"
