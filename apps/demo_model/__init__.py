"""Builds the shipped demo model, a tiny Qwen2 chat model trained on the Maple & Moon FAQ.

Build-time only. The weights it writes are runtime data in ``settings.DEMO_MODEL_DIR``
(``apps/inference/demo_model/weights``, with the model card next to them); nothing that serves
requests imports this package. Nothing heavy is imported here, so Django can load the app
cheaply; the builder lives in ``apps.demo_model.build``.
"""

from __future__ import annotations

from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
