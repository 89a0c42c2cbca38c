"""Byte-level BPE tokenizer for the demo model, plus its chat template."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

EOS = "<|end|>"
SPECIAL_TOKENS = [EOS, "<|system|>", "<|user|>", "<|assistant|>"]

# Every CJK character (and CJK / full-width punctuation) becomes its own pre-token: otherwise
# BPE learns whole Chinese phrases and the model cannot generalise to reworded questions.
_CJK = r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]"

# Renders the OpenAI message list; the server and the app both go through it.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\n' + message['content'] + '<|end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}"
)


def new_tokenizer() -> Tokenizer:
    """An untrained tokenizer with the demo model's pre-tokenization."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(_CJK), behavior="isolated"),
            # Single digits keep "299" and "29" related, which helps number recall.
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    return tok


def train_tokenizer(texts: Iterable[str], vocab_size: int = 3000) -> Tokenizer:
    """Train the BPE merges on the corpus texts."""
    tok = new_tokenizer()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    return tok


def save_tokenizer(tok: Tokenizer, out_dir: Path) -> None:
    """Write tokenizer.json and a tokenizer_config.json that transformers/mlx_lm understand."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tok.save(str(out_dir / "tokenizer.json"))
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": None,
        "eos_token": EOS,
        "pad_token": EOS,
        "unk_token": None,
        "model_max_length": 2048,
        "clean_up_tokenization_spaces": False,
        "chat_template": CHAT_TEMPLATE,
    }
    (out_dir / "tokenizer_config.json").write_text(
        json.dumps(config, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


class ChatEncoder:
    """Turns a message list into token ids plus a loss mask over the assistant replies.

    It encodes message by message (cached) instead of rendering the Jinja template per example;
    ``check_against_template`` proves the two agree.
    """

    def __init__(self, tok: Tokenizer) -> None:
        self.tok = tok
        self.eos_id = self._special(EOS)
        self._newline = self._encode("\n")
        self._cache: dict[str, list[int]] = {}

    def _special(self, token: str) -> int:
        token_id = self.tok.token_to_id(token)
        if token_id is None:
            raise ValueError(f"the tokenizer has no {token} token")
        return token_id

    def _encode(self, text: str) -> list[int]:
        return self.tok.encode(text, add_special_tokens=False).ids

    def _content(self, text: str) -> list[int]:
        if text not in self._cache:
            self._cache[text] = self._encode(text)
        return self._cache[text]

    def encode(self, messages: list[dict[str, str]]) -> tuple[list[int], list[int]]:
        ids: list[int] = []
        mask: list[int] = []
        for message in messages:
            head = [self._special(f"<|{message['role']}|>"), *self._newline]
            body = [*self._content(message["content"]), self.eos_id]
            trained = int(message["role"] == "assistant")
            ids += head + body + self._newline
            mask += [0] * len(head) + [trained] * len(body) + [0] * len(self._newline)
        return ids, mask

    def check_against_template(self, messages: list[dict[str, str]], hf_tokenizer) -> None:
        """Raise if our ids differ from ``apply_chat_template`` (what the server will send)."""
        ours, _ = self.encode(messages)
        theirs = hf_tokenizer.apply_chat_template(messages, tokenize=True)
        if hasattr(theirs, "input_ids"):  # newer transformers return a BatchEncoding
            theirs = theirs["input_ids"]
        if list(theirs) != ours:
            raise AssertionError(f"chat encoding mismatch for {messages!r}")
