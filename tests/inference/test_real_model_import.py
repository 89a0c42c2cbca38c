"""The real pretrained model (SmolLM2-135M-Instruct's Q4_1 GGUF) imported by ``import_gguf``
loads in mlx-lm and is the model it was: its 4-bit and float weights agree, its tokenizer
round-trips Chinese, English and emoji, and it predicts English text well (which a wrong
q/k row order ruins). Figures measured: tests/bench/real_model.py and the README."""

from __future__ import annotations

import mlx.core as mx
import pytest
from mlx_lm import load

from tests.inference.smollm2 import (
    ENGLISH_TEXT,
    import_smollm2,
    log_probs,
    perplexity,
    scramble_rope_pairs,
    unscramble_rope_pairs,
)

pytestmark = pytest.mark.slow

# Imported SmolLM2 scores about 13.5 on ENGLISH_TEXT; with llama.cpp's q/k row order left in
# place about 67 (attention still matches q and k, but RoPE rotates the wrong pairs).
SANE_PERPLEXITY = 30.0


@pytest.fixture(scope="module")
def smollm2(smollm2_dir):
    return load(str(smollm2_dir))[:2]


def test_the_4_bit_import_and_its_float32_dequantization_give_the_same_logits(smollm2, tmp_path):
    float_model, tokenizer = smollm2
    quantized_model = load(str(import_smollm2(tmp_path / "q4", "q4")))[0]
    ids = tokenizer.encode("Where is my parcel?")
    quantized, floats = log_probs(quantized_model, ids), log_probs(float_model, ids)
    assert mx.array_equal(quantized.argmax(-1), floats.argmax(-1))
    assert mx.abs(quantized - floats).max().item() < 0.1  # measured: about 0.01


@pytest.mark.parametrize(
    "text",
    [
        "Where is my order #12345? It was due on Monday.",
        "退款多久能到账？我已经等了三天了。",
        "Thanks! 🎉👍 我很满意，five stars ⭐",
    ],
)
def test_its_tokenizer_round_trips_chinese_english_and_emoji(smollm2, text: str):
    _, tokenizer = smollm2
    ids = tokenizer.encode(text)
    assert tokenizer.decode(ids) == text
    detokenizer = tokenizer.detokenizer  # mlx-lm's streaming one, as the servers use
    pieces = []
    for token in ids:
        detokenizer.add_token(token)
        pieces.append(detokenizer.last_segment)
    detokenizer.finalize()
    pieces.append(detokenizer.last_segment)
    assert "".join(pieces) == text
    assert not any("\ufffd" in piece for piece in pieces)


def test_a_character_split_over_tokens_streams_whole(smollm2):
    _, tokenizer = smollm2
    ids = tokenizer.encode("🎉")
    assert len(ids) > 1  # byte-level BPE: one emoji, several tokens
    assert "\ufffd" in tokenizer.decode(ids[:1])  # a token alone is not a character


def test_its_special_tokens_and_chat_template_come_from_the_gguf(smollm2):
    _, tokenizer = smollm2
    assert tokenizer.encode("<|im_end|>") == [2]
    assert tokenizer.eos_token_ids == {2}
    prompt = tokenizer.apply_chat_template(
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
        add_generation_prompt=True,
        tokenize=False,
    )
    assert prompt == (
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def test_it_predicts_english_text_and_a_wrong_row_order_would_not(smollm2):
    model, tokenizer = smollm2
    assert perplexity(model, tokenizer, ENGLISH_TEXT) < SANE_PERPLEXITY
    scramble_rope_pairs(model)
    try:
        assert perplexity(model, tokenizer, ENGLISH_TEXT) > SANE_PERPLEXITY
    finally:
        unscramble_rope_pairs(model)  # the module's other tests share the model
