"""The per-conversation KV store: prefix reuse, trimming, and LRU eviction under a byte cap."""

from __future__ import annotations

import mlx.core as mx
from mlx_lm.models.cache import KVCache

from apps.inference.kv_cache import PromptCacheStore


def kv_cache(tokens: int, layers: int = 2) -> list[KVCache]:
    """A real mlx-lm KV cache holding ``tokens`` positions (1 head of width 8)."""
    cache = [KVCache() for _ in range(layers)]
    for layer in cache:
        layer.update_and_fetch(mx.zeros((1, 1, tokens, 8)), mx.zeros((1, 1, tokens, 8)))
    return cache


def nbytes(cache) -> int:
    return sum(layer.nbytes for layer in cache)


def test_it_evicts_the_least_recently_used_cache_past_its_byte_cap():
    one = nbytes(kv_cache(10))
    store = PromptCacheStore(max_bytes=int(one * 2.5))
    store.put("a", list(range(10)), kv_cache(10))
    store.put("b", list(range(10)), kv_cache(10))
    cache, _ = store.take("a", list(range(12)))  # "a" is used, so "b" is now the oldest
    store.put("a", list(range(12)), cache)
    store.put("c", list(range(10)), kv_cache(10))

    assert store.counters.evictions == 1
    assert store.take("b", list(range(12))) == (None, 0)
    assert store.total_bytes <= store.max_bytes
    assert len(store) == 2


def test_it_reuses_the_shared_prefix_and_trims_the_rest():
    store = PromptCacheStore(max_bytes=10**9)
    store.put("conv", [1, 2, 3, 4, 5, 6], kv_cache(6))
    cache, cached = store.take("conv", [1, 2, 3, 9, 9])
    assert cached == 3
    assert cache[0].offset == 3
    assert store.counters.hits == 1 and store.counters.reused_tokens == 3


def test_it_always_leaves_one_prompt_token_to_feed():
    store = PromptCacheStore(max_bytes=10**9)
    store.put("conv", [1, 2, 3], kv_cache(3))
    cache, cached = store.take("conv", [1, 2, 3])
    assert cached == 2 and cache[0].offset == 2


def test_it_counts_a_miss_and_refuses_a_cache_larger_than_the_cap():
    store = PromptCacheStore(max_bytes=10)
    assert store.take("nobody", [1, 2]) == (None, 0)
    store.put("huge", [1, 2], kv_cache(2))
    assert len(store) == 0 and store.counters.misses == 1
