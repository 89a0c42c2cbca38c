"""Hand-written cue lexicons for the shop-chat sentiment tagger.

Everything here is data: the tagger in ``apps.sentiment.tagger`` compiles it once at import.
Provenance: written by the SurgeDesk project from general knowledge of Chinese and English
e-commerce chat (complaint phrasing, platform slang, emoji use); no third-party lexicon or
corpus was copied. Weights were set by hand, then adjusted on ``tests/sentiment/data/dev.jsonl``.

Kinds of entries (see ``Kind`` in the tagger):
- pos / neg: scored cues, weight in roughly [-1, 1];
- polite: thanks-type words, positive unless the message is a request or question;
- shadow: weight-0 phrases that only exist to hide a shorter cue inside them
  (快递 hides 快, 不好意思 hides 不好, "i'd like" hides "like");
- negator, intensifier (multiplier > 1), downtoner (multiplier < 1), contrast, conditional,
  repetition (amplifies an existing complaint), sarcasm (marker, may carry its own weight),
  contextual (绝了: takes the polarity of the rest of the message).
"""

from __future__ import annotations

from apps.sentiment.lexicon import en, shared, zh

__all__ = ["en", "shared", "zh"]
