"""Qwen2 model definition, training loop and saving for the demo model (mlx, fp32)."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim
import numpy as np
from mlx.utils import tree_flatten
from mlx_lm.models.qwen2 import Model, ModelArgs

from apps.demo_model import fastmath


def qwen2_config(
    vocab_size: int,
    eos_id: int,
    *,
    hidden: int = 192,
    layers: int = 4,
    heads: int = 6,
    kv_heads: int = 2,
    intermediate: int = 512,
) -> dict:
    """A config.json for mlx_lm's qwen2 model (and transformers' Qwen2ForCausalLM)."""
    return {
        "architectures": ["Qwen2ForCausalLM"],
        "model_type": "qwen2",
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "num_key_value_heads": kv_heads,
        "intermediate_size": intermediate,
        "vocab_size": vocab_size,
        "rms_norm_eps": 1e-6,
        "rope_theta": 10000.0,
        "max_position_embeddings": 2048,
        "tie_word_embeddings": True,
        "hidden_act": "silu",
        "torch_dtype": "float32",
        "bos_token_id": None,
        "eos_token_id": eos_id,
    }


def create_model(config: dict, seed: int) -> Model:
    mx.random.seed(seed)
    model = Model(ModelArgs.from_dict(config))
    mx.eval(model.parameters())
    return model


def _leaves(model: nn.Module) -> list[tuple[str, mx.array]]:
    # tree_flatten returns a list unless given a dict to fill, but is typed as either.
    return cast("list[tuple[str, mx.array]]", tree_flatten(model.parameters()))


def count_params(model: nn.Module) -> int:
    return sum(v.size for _, v in _leaves(model))


def save_model(model: nn.Module, config: dict, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    weights = dict(_leaves(model))
    mx.save_safetensors(str(out_dir / "model.safetensors"), weights, metadata={"format": "mlx"})
    (out_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 500
    batch_size: int = 24
    lr: float = 3e-3
    min_lr: float = 1e-4
    warmup: int = 60
    weight_decay: float = 0.05
    seed: int = 0


Example = tuple[list[int], list[int]]  # token ids, loss mask


Batch = tuple[mx.array, mx.array, mx.array, mx.array]


def _common_prefix(rows: list[list[int]]) -> int:
    shortest = min(len(r) for r in rows)
    for i in range(shortest - 2):  # keep at least two tokens in the rest
        if any(r[i] != rows[0][i] for r in rows):
            return i
    return shortest - 2


def make_batch(examples: list[Example], pad_id: int) -> Batch:
    """Shared prefix, right-padded rest, and flat indices + ids of the trained target tokens."""
    width = max(len(ids) for ids, _ in examples)
    ids = np.full((len(examples), width), pad_id, dtype=np.int32)
    mask = np.zeros((len(examples), width), dtype=bool)
    for row, (tokens, trained) in enumerate(examples):
        ids[row, : len(tokens)] = tokens
        mask[row, : len(trained)] = trained
    shared = _common_prefix([tokens for tokens, _ in examples])
    # Input position t predicts token t + 1; only assistant tokens count.
    positions = np.flatnonzero(mask[:, shared + 1 :])
    targets = ids[:, shared + 1 :].reshape(-1)[positions]
    return (
        mx.array(ids[0, :shared]),
        mx.array(ids[:, shared:-1]),
        mx.array(positions.astype(np.int32)),
        mx.array(targets),
    )


def length_bucketed(examples: list[Example], batch_size: int, rng: random.Random) -> list:
    """Batches of similar length (less padding), in random order."""
    order = sorted(examples, key=lambda e: len(e[0]) + rng.random())
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def loss_fn(
    model: Model, prefix: mx.array, rest: mx.array, positions: mx.array, targets: mx.array
) -> mx.array:
    hidden = fastmath.shared_prefix_hidden(model, prefix, rest)
    # The (tied) LM head runs only where there is a target: a third of the tokens.
    picked = hidden.reshape(-1, hidden.shape[-1])[positions]
    logits = model.model.embed_tokens.as_linear(picked)
    return fastmath.cross_entropy(logits, targets).mean()


def schedule(cfg: TrainConfig) -> Callable[[mx.array], mx.array]:
    warmup_steps = min(cfg.warmup, max(1, cfg.steps // 10))  # short smoke runs still decay
    warmup = optim.linear_schedule(cfg.lr / 20, cfg.lr, warmup_steps)
    decay = optim.cosine_decay(cfg.lr, cfg.steps - warmup_steps, cfg.min_lr)
    return optim.join_schedules([warmup, decay], [warmup_steps])


def train(
    model: Model,
    batches: Iterator[list[Example]],
    cfg: TrainConfig,
    pad_id: int,
    progress: bool = True,
) -> dict:
    """AdamW over ``cfg.steps`` batches; loss only where the mask is 1 (assistant tokens)."""
    from tqdm import tqdm

    optimizer = optim.AdamW(learning_rate=schedule(cfg), weight_decay=cfg.weight_decay)
    loss_and_grad = nn.value_and_grad(model, loss_fn)

    def step(*batch: mx.array) -> mx.array:
        loss, grads = loss_and_grad(model, *batch)
        grads, _ = optim.clip_grad_norm(grads, 1.0)
        optimizer.update(model, grads)
        return loss

    start = time.perf_counter()
    bar = tqdm(range(cfg.steps), desc="train", unit="step", disable=not progress)
    ema = None
    with fastmath.fast_qwen2():
        for i in bar:
            loss = step(*make_batch(next(batches), pad_id))
            mx.eval(model.state, optimizer.state, loss)
            value = cast(float, loss.item())  # a float32 scalar
            ema = value if ema is None else 0.95 * ema + 0.05 * value
            if i % 10 == 0:
                bar.set_postfix(loss=f"{ema:.3f}")
    return {
        "steps": cfg.steps,
        "final_loss": round(ema or 0.0, 4),
        "train_s": time.perf_counter() - start,
    }
