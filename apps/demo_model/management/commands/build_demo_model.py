"""``manage.py build_demo_model``: retrain the shipped demo model and print its held-out score."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Train the tiny demo chat model from scratch (CPU, a few minutes) and evaluate it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--out", type=Path, default=Path(settings.DEMO_MODEL_DIR), help="output directory"
        )
        parser.add_argument("--steps", type=int, default=None, help="training steps")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--evaluate-only",
            action="store_true",
            help="score the model already in --out on the held-out set; train nothing",
        )

    def handle(
        self, *args, out: Path, steps: int | None, seed: int, evaluate_only: bool, **options
    ) -> None:
        # Imported here: mlx and the trainer are heavy and only this command needs them.
        from apps.demo_model.build import (
            build_demo_model,
            evaluate_model,
            print_report,
            print_scores,
            served_references,
        )

        if evaluate_only:
            print_scores(evaluate_model(out, references_for=served_references()))
            return

        result = build_demo_model(out, steps=steps, seed=seed, progress=options["verbosity"] > 0)
        print_report(result)
        self.stdout.write(self.style.SUCCESS(f"demo model written to {out}"))
