"""The shipped demo model: a tiny Qwen2 chat model trained from scratch on the Maple & Moon FAQ.

Nothing heavy is imported here, so Django can import the package cheaply; the builder lives in
``apps.inference.demo_model.build``.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
WEIGHTS_DIR = PACKAGE_DIR / "weights"
CORPUS_DIR = PACKAGE_DIR / "corpus"
CATALOG_PATH = PACKAGE_DIR.parents[1] / "faq" / "data" / "demo_faq.jsonl"
