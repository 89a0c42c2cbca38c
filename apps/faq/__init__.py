"""FAQ knowledge base: entries, retrieval and the answer cache."""

from __future__ import annotations

from pathlib import Path

# The shipped demo catalog: `load_demo_faq` imports it, the demo model learns from it.
DEMO_CATALOG = Path(__file__).resolve().parent / "data" / "demo_faq.jsonl"
