from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create (or reset) the local demo's staff login and print it. For demos only."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo")
        parser.add_argument("--password", default="surgedesk-demo")

    def handle(self, *args, username: str, password: str, **options):
        if settings.PRODUCTION:
            # A superuser whose password is in the README would be anyone's.
            raise CommandError(
                "ensure_demo_staff is for the local demo; it refuses to run with "
                "SURGEDESK_ENV=production. Create staff with `manage.py createsuperuser`."
            )
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.is_staff = True
        user.is_superuser = True
        user.set_password(password)
        user.save()
        self.stdout.write(f"Demo staff login: {username} / {password}")
