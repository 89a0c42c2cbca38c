"""``manage.py api_key_create NAME [--webhook-url URL]``: prints a new key, once."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import URLValidator

from apps.api.models import ApiKey
from apps.api.services import key_create


class Command(BaseCommand):
    help = "Create an API key. The key is printed once: only its hash is stored."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="who the key is for, e.g. the shop's app")
        parser.add_argument("--webhook-url", default="", help="where agent replies are POSTed")

    def handle(self, *args: Any, name: str, webhook_url: str, **options: Any) -> None:
        if ApiKey.objects.filter(name=name).exists():
            raise CommandError(f"a key named {name!r} exists already")
        if webhook_url:
            try:
                URLValidator(schemes=["http", "https"])(webhook_url)
            except ValidationError:
                raise CommandError(f"not an http(s) URL: {webhook_url!r}") from None
        created = key_create(name=name, webhook_url=webhook_url)
        self.stdout.write(created.secret)
        self.stderr.write(
            f"API key {name!r} created. It is shown only now; store it.\n"
            f"Webhook signing secret (X-SurgeDesk-Signature): {created.key.webhook_secret}"
        )
