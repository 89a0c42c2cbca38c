from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.faq.embeddings import configured_embedder
from apps.faq.management.progress import entries_bar
from apps.faq.selectors import faq_embedding_progress
from apps.faq.services import faq_entries_embed


class Command(BaseCommand):
    help = (
        "Embed, here and now, every FAQ entry whose vector is missing or stale (never embedded, "
        "edited since, or made by another model): after changing EMBEDDINGS_MODEL, or when the "
        "background embedding could not finish. Exits 1 if the embedder failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    def handle(self, *args, no_progress: bool, **options):
        embedder = configured_embedder()
        waiting = faq_embedding_progress(model_id=embedder.model_id).waiting
        with entries_bar(len(waiting), "faq embed", hidden=no_progress) as bar:
            report = faq_entries_embed(entry_ids=waiting, embedder=embedder, on_batch=bar.update)
        progress = faq_embedding_progress(model_id=embedder.model_id)
        self.stdout.write(
            f"faq embed ({embedder.model_id}): {report.embedded} embedded; {progress}"
        )
        if report.error:
            raise CommandError(f"{report.left} entries left lexical-only: {report.error}")
