from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand

from apps.faq import DEMO_CATALOG


class Command(BaseCommand):
    help = "Import the demo FAQ catalog (same as faq_import apps/faq/data/demo_faq.jsonl)."

    def handle(self, *args, **options):
        call_command("faq_import", str(DEMO_CATALOG), no_progress=True, stdout=self.stdout)
