from __future__ import annotations

import io
import sys
import time
from contextlib import ExitStack
from typing import IO

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from apps.faq.embeddings import configured_embedder
from apps.faq.formats import FormatError, format_for, read_rows
from apps.faq.management.progress import entries_bar
from apps.faq.selectors import faq_embedding_progress
from apps.faq.services import faq_import_rows

# How often --wait reads the embedding's progress from Postgres.
POLL_S = 0.5


class Command(BaseCommand):
    help = (
        "Import FAQ entries from JSONL or CSV (id, question, answer, lang, tags[, enabled]); "
        "upserts on id. CSV tags are '|'-separated. Exits 1 if any row was rejected."
    )

    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("path", help="a .jsonl or .csv file, or - for stdin")
        parser.add_argument("--format", choices=["jsonl", "csv"], help="default: from the suffix")
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
        parser.add_argument(
            "--wait",
            nargs="?",
            type=float,
            const=30.0,
            metavar="SECONDS",
            help="follow the background embedding of the imported entries until it is done; "
            "give up after SECONDS without progress (default 30)",
        )

    def handle(
        self,
        *args,
        path: str,
        format: str | None,
        no_progress: bool,
        wait: float | None,
        **options,
    ):
        if wait is not None and wait <= 0:
            raise CommandError("--wait takes a positive number of seconds")
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
        if wait is not None and report.changed_ids:
            self._follow_embedding(report.changed_ids, idle_limit_s=wait, hidden=no_progress)

    def _follow_embedding(self, entry_ids: list[int], *, idle_limit_s: float, hidden: bool):
        """A bar over what the background worker has embedded, read from Postgres."""
        model_id = configured_embedder().model_id
        done, moved_at = 0, time.monotonic()
        with entries_bar(len(entry_ids), "faq embedding", hidden=hidden) as bar:
            while done < len(entry_ids) and time.monotonic() - moved_at < idle_limit_s:
                time.sleep(POLL_S)
                current = faq_embedding_progress(model_id=model_id, entry_ids=entry_ids).current
                if current > done:
                    bar.update(current - done)
                    done, moved_at = current, time.monotonic()
        self.stdout.write(f"faq embedding ({model_id}): {done} of {len(entry_ids)} embedded")
        if done < len(entry_ids):
            raise CommandError(
                f"embedding made no progress for {idle_limit_s:g}s; the import is saved and "
                "its entries are matched lexically until embedded (is a background worker "
                "running? is the embeddings endpoint up?); `manage.py faq_embed` finishes it"
            )

    def _open(self, path: str, stack: ExitStack, stdin: IO | None) -> IO[bytes]:
        if path != "-":
            return stack.enter_context(open(path, "rb"))
        stdin = stdin or sys.stdin.buffer
        if isinstance(stdin, io.TextIOBase):  # call_command(stdin=StringIO(...)) in tests
            return io.BytesIO(stdin.read().encode())
        return getattr(stdin, "buffer", stdin)
