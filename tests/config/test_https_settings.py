"""Production is HTTPS-only and passes Django's deploy checklist; the local demo stays on http."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.stack import ROOT

HTTPS_SETTINGS = (
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
)
PRODUCTION = {"SURGEDESK_ENV": "production", "SECRET_KEY": "a-real-secret-" + "x" * 50}


def run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in HTTPS_SETTINGS}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "apps.config.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def https_settings(**env: str) -> list[object]:
    script = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps([getattr(settings, name, None) for name in {list(HTTPS_SETTINGS)}]))"
    )
    result = run(["-c", script], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_local_demo_is_served_on_plain_http():
    assert https_settings() == [False, False, False, 0, False, False, None]


def test_production_is_https_only():
    assert https_settings(**PRODUCTION) == [True, True, True, 31_536_000, True, True, None]


def test_each_https_setting_can_be_turned_off_for_a_plain_http_deployment():
    off = {
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "false",
        "SECURE_HSTS_PRELOAD": "false",
    }
    assert https_settings(**PRODUCTION, **off) == [False, False, False, 0, False, False, None]


def test_behind_a_tls_proxy_its_forwarded_proto_is_trusted_when_asked():
    proxied = https_settings(**PRODUCTION, TRUST_X_FORWARDED_PROTO="true")
    assert proxied[-1] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_production_passes_the_deploy_checklist():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
