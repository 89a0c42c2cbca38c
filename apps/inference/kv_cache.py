"""Per-conversation prompt (KV) caches, capped in bytes with LRU eviction.

Only the engine thread touches a store, so it needs no lock.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from mlx_lm.models.cache import can_trim_prompt_cache, trim_prompt_cache


@dataclass(frozen=True)
class ReplyRecord:
    """A conversation's last turn as the model saw and wrote it, in token ids."""

    prompt: list[int]
    reply_tokens: list[int]
    reply_text: str


@dataclass
class _Entry:
    tokens: list[int]
    cache: list[Any]
    nbytes: int
    reply: ReplyRecord | None


@dataclass
class CacheCounters:
    hits: int = 0
    misses: int = 0
    evictions: int = 0
    reused_tokens: int = 0


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


class PromptCacheStore:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.total_bytes = 0
        self.counters = CacheCounters()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def reply_of(self, key: str) -> ReplyRecord | None:
        entry = self._entries.get(key)
        return entry.reply if entry is not None else None

    def take(self, key: str, prompt: list[int]) -> tuple[list[Any] | None, int]:
        """Remove and return the cache for ``key`` trimmed to its prefix shared with ``prompt``.

        Returns ``(cache, n_cached_tokens)``; ``(None, 0)`` is a miss. At least one prompt
        token is always left uncached, because generation starts from a fed token.
        """
        entry = self._entries.pop(key, None)
        if entry is None:
            self.counters.misses += 1
            return None, 0
        self.total_bytes -= entry.nbytes
        usable = min(_common_prefix(entry.tokens, prompt), len(prompt) - 1)
        surplus = len(entry.tokens) - usable
        if usable <= 0 or (surplus and not can_trim_prompt_cache(entry.cache)):
            self.counters.misses += 1
            return None, 0
        if surplus:
            trim_prompt_cache(entry.cache, surplus)
        self.counters.hits += 1
        self.counters.reused_tokens += usable
        return entry.cache, usable

    def forget(self, prefix: str) -> None:
        """Drop every entry whose key starts with ``prefix`` (a model's, as it unloads)."""
        for key in [k for k in self._entries if k.startswith(prefix)]:
            self.total_bytes -= self._entries.pop(key).nbytes

    def put(
        self, key: str, tokens: list[int], cache: list[Any], reply: ReplyRecord | None = None
    ) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self.total_bytes -= old.nbytes
        nbytes = sum(layer.nbytes for layer in cache)
        if nbytes > self.max_bytes:
            return
        while self._entries and self.total_bytes + nbytes > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self.total_bytes -= evicted.nbytes
            self.counters.evictions += 1
        self._entries[key] = _Entry(tokens=list(tokens), cache=cache, nbytes=nbytes, reply=reply)
        self.total_bytes += nbytes
