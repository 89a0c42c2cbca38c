"""Invalid settings stop start-up with a message that names the variable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from apps.config.settings import DEV_SECRET_KEY


def check(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "apps.config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "env, needle",
    [
        ({"DATABASE_URL": "mysql://x@localhost/db"}, "DATABASE_URL"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
        ({"CHAT_MAX_MESSAGE_CHARS": "lots"}, "CHAT_MAX_MESSAGE_CHARS"),
        ({"CHAT_MAX_MESSAGE_CHARS": "0"}, "CHAT_MAX_MESSAGE_CHARS"),
        ({"DEBUG": "perhaps"}, "DEBUG"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
        ({"PROMETHEUS_MULTIPROC_DIR": "/nonexistent/prometheus"}, "PROMETHEUS_MULTIPROC_DIR"),
        ({"SURGEDESK_ENV": "production"}, "SECRET_KEY"),
        # Whatever DEBUG says, production needs a key of its own.
        ({"SURGEDESK_ENV": "production", "DEBUG": "true"}, "SECRET_KEY"),
        (
            {"SURGEDESK_ENV": "production", "DEBUG": "true", "SECRET_KEY": DEV_SECRET_KEY},
            "SECRET_KEY",
        ),
        ({"SURGEDESK_ENV": "production", "SECRET_KEY": ""}, "SECRET_KEY"),
        ({"CHAT_RATE_LIMIT_SESSIONS_IP_PER_MINUTE": "0"}, "CHAT_RATE_LIMIT_SESSIONS_IP_PER_MINUTE"),
        ({"EMBEDDINGS_BASE_URL": "127.0.0.1:8090/v1"}, "EMBEDDINGS_BASE_URL"),
        ({"EMBEDDINGS_BASE_URL": "http://127.0.0.1:8090/v1"}, "EMBEDDINGS_MODEL"),
    ],
)
def test_it_refuses_an_invalid_value(env, needle):
    result = check(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert needle in result.stderr


def test_it_starts_on_the_defaults():
    assert check().returncode == 0
