from __future__ import annotations

import io
import sys
from contextlib import ExitStack
from typing import IO

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from apps.faq.formats import FormatError, format_for, read_rows
from apps.faq.services import faq_import_rows


class Command(BaseCommand):
    help = (
        "Import FAQ entries from JSONL or CSV (id, question, answer, lang, tags[, enabled]); "
        "upserts on id. CSV tags are '|'-separated. Exits 1 if any row was rejected."
    )

    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("path", help="a .jsonl or .csv file, or - for stdin")
        parser.add_argument("--format", choices=["jsonl", "csv"], help="default: from the suffix")
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    def handle(self, *args, path: str, format: str | None, no_progress: bool, **options):
        with ExitStack() as stack:
            try:
                fmt = format_for(path, format)
                stream = self._open(path, stack, options.get("stdin"))
                rows = tqdm(
                    read_rows(stream, fmt),
                    desc="faq import",
                    unit=" rows",
                    file=sys.stderr,
                    disable=no_progress,
                )
                report = faq_import_rows(rows=rows)
            except (FormatError, OSError) as exc:
                raise CommandError(str(exc)) from exc
        for error in report.rejected:
            self.stderr.write(f"rejected {error}")
        for external_id, lines in report.duplicates.items():
            where = ", ".join(map(str, lines))
            self.stderr.write(f"id {external_id!r} appears on lines {where}: kept line {lines[-1]}")
        self.stdout.write(f"faq import {path}: {report.summary()}")
        if report.rejected:
            raise CommandError(f"{len(report.rejected)} row(s) rejected; the others were saved")

    def _open(self, path: str, stack: ExitStack, stdin: IO | None) -> IO[bytes]:
        if path != "-":
            return stack.enter_context(open(path, "rb"))
        stdin = stdin or sys.stdin.buffer
        if isinstance(stdin, io.TextIOBase):  # call_command(stdin=StringIO(...)) in tests
            return io.BytesIO(stdin.read().encode())
        return getattr(stdin, "buffer", stdin)
