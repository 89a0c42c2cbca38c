from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from apps.faq.formats import FormatError, format_for, write_rows
from apps.faq.selectors import faq_rows_for_export


class Command(BaseCommand):
    help = "Export every FAQ entry in the import format: JSONL (default) or CSV by suffix."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default="-", help="a .jsonl or .csv file, or -")
        parser.add_argument("--format", choices=["jsonl", "csv"], help="default: from the suffix")

    def handle(self, *args, path: str, format: str | None, **options):
        try:
            fmt = format_for("" if path == "-" else path, format)
        except FormatError as exc:
            raise CommandError(str(exc)) from exc
        if path == "-":
            count = write_rows(faq_rows_for_export(), self.stdout, fmt)
        else:
            with open(path, "w", encoding="utf-8", newline="") as stream:
                count = write_rows(faq_rows_for_export(), stream, fmt)
        sys.stderr.write(f"faq export: {count} entries\n")
