"""Build the shipped demo model: tokenizer, Qwen2 weights and a held-out score.

    python manage.py build_demo_model [--out DIR] [--steps N] [--seed S]

For fast CPU math run with ``LD_PRELOAD=/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
OPENBLAS_NUM_THREADS=1`` (``make demo-model`` does).
"""

from __future__ import annotations

import random
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from django.conf import settings

from apps.demo_model.data import Corpus, conversation, epoch_samples, load_corpus
from apps.demo_model.evaluate import evaluate_model
from apps.demo_model.tokenizer import ChatEncoder, save_tokenizer, train_tokenizer

__all__ = [
    "build_bench_model",
    "build_demo_model",
    "evaluate_model",
    "print_report",
    "print_scores",
    "served_references",
]

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")


def _batches(
    corpus: Corpus, encoder: ChatEncoder, batch_size: int, rng: random.Random
) -> Iterator[list]:
    """Endless stream of batches; every epoch draws fresh multi-turn and grounded samples."""
    from apps.demo_model.train import length_bucketed

    while True:
        examples = [encoder.encode(messages) for messages in epoch_samples(corpus, rng)]
        yield from length_bucketed(examples, batch_size, rng)


def _check_chat_template(corpus: Corpus, encoder: ChatEncoder, out_dir: Path) -> None:
    """Training ids must equal what transformers' chat template (the server's path) produces."""
    from transformers import AutoTokenizer

    hf_tokenizer = AutoTokenizer.from_pretrained(str(out_dir))
    first, second = corpus.train[0], corpus.train[-1]
    encoder.check_against_template(conversation([], first), hf_tokenizer)
    encoder.check_against_template(
        conversation([first], second, reference=first.answer), hf_tokenizer
    )


def build_demo_model(
    out_dir: Path, *, steps: int | None = None, seed: int = 0, progress: bool = True
) -> dict:
    """Train tokenizer + model from scratch into ``out_dir`` and return the evaluation figures."""
    from apps.demo_model import train as tr

    out_dir = Path(out_dir)
    started = time.perf_counter()
    random.seed(seed)
    corpus = load_corpus()
    tok = train_tokenizer(corpus.all_texts())
    save_tokenizer(tok, out_dir)
    encoder = ChatEncoder(tok)
    _check_chat_template(corpus, encoder, out_dir)

    config = tr.qwen2_config(tok.get_vocab_size(), encoder.eos_id)
    model = tr.create_model(config, seed)
    cfg = tr.TrainConfig(seed=seed, **({"steps": steps} if steps else {}))
    batches = _batches(corpus, encoder, cfg.batch_size, random.Random(seed))
    stats = tr.train(model, batches, cfg, pad_id=encoder.eos_id, progress=progress)
    tr.save_model(model, config, out_dir)

    report = evaluate_model(out_dir, corpus, references_for=served_references())
    return {
        **stats,
        "params": tr.count_params(model),
        "size_bytes": sum(f.stat().st_size for f in out_dir.iterdir() if f.is_file()),
        "total_s": time.perf_counter() - started,
        "eval": report,
    }


def served_references() -> Callable[[str], list[str]] | None:
    """The references the app puts in a prompt (``GROUNDING_REFERENCES`` confident FAQ
    entries), or None when this database holds no FAQ to retrieve from."""
    from apps.faq.retrieval import confident, faq_answers

    try:
        if not faq_answers():
            return None
    except Exception:  # no database here: the mode is left out
        return None

    def references_for(question: str) -> list[str]:
        limit = settings.GROUNDING_REFERENCES
        return [m.answer for m in confident(question, limit=limit)] if limit else []

    return references_for


def build_bench_model(
    out_dir: Path,
    *,
    hidden: int = 512,
    layers: int = 8,
    heads: int = 8,
    kv_heads: int = 4,
    intermediate: int = 1408,
    seed: int = 0,
    tokenizer_dir: Path | None = None,
) -> Path:
    """An untrained (random-weight) Qwen2 of ~25M params for throughput benchmarks.

    It reuses the demo tokenizer (by default the shipped one), so prompts cost the same number
    of tokens; its replies are gibberish and may hit the end token at any point.
    """
    from apps.demo_model import train as tr

    tokenizer_dir = Path(tokenizer_dir or settings.DEMO_MODEL_DIR)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in TOKENIZER_FILES:
        shutil.copyfile(tokenizer_dir / name, out_dir / name)
    tok = ChatEncoder(_load_tokenizers_tokenizer(out_dir))
    config = tr.qwen2_config(
        tok.tok.get_vocab_size(),
        tok.eos_id,
        hidden=hidden,
        layers=layers,
        heads=heads,
        kv_heads=kv_heads,
        intermediate=intermediate,
    )
    tr.save_model(tr.create_model(config, seed), config, out_dir)
    return out_dir


def _load_tokenizers_tokenizer(model_dir: Path):
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(model_dir / "tokenizer.json"))


def format_score(name: str, figures: dict) -> str:
    return f"{name}: {figures['correct']}/{figures['total']} ({figures['pct']}%)"


def print_report(result: dict) -> None:
    print(
        f"params: {result['params']:,}  size: {result['size_bytes'] / 1e6:.1f} MB  "
        f"train: {result['train_s']:.0f}s  total: {result['total_s']:.0f}s  "
        f"loss: {result['final_loss']}"
    )
    print_scores(result["eval"])


def print_scores(evaluation: dict) -> None:
    for mode in ("multi_turn", "with_reference", "as_served"):
        if mode in evaluation:
            print(format_score(f"score[{mode}]", evaluation[mode]))
    question_only = evaluation["question_only"]
    for lang in ("en", "zh"):
        print(format_score(f"score[{lang}]", question_only["by_lang"][lang]))
    print(format_score("score", question_only))
