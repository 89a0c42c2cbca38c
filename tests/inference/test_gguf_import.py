"""The GGUF importer's parts on small synthetic arrays: names, q/k row order, quantization."""

from __future__ import annotations

import mlx.core as mx
import pytest
from django.core.management import CommandError, call_command

from apps.inference.gguf import (
    GROUP_SIZE,
    dequantized,
    mlx_name,
    quantization,
    unpermute_rows,
)
from tests.inference.smollm2 import llama_cpp_permute


@pytest.mark.parametrize(
    ("gguf_name", "expected"),
    [
        ("token_embd.weight", "model.embed_tokens.weight"),
        ("token_embd.scales", "model.embed_tokens.scales"),
        ("output_norm.weight", "model.norm.weight"),
        ("output.biases", "lm_head.biases"),
        ("blk.0.attn_q.weight", "model.layers.0.self_attn.q_proj.weight"),
        ("blk.12.attn_k.scales", "model.layers.12.self_attn.k_proj.scales"),
        ("blk.3.attn_v.biases", "model.layers.3.self_attn.v_proj.biases"),
        ("blk.29.attn_output.weight", "model.layers.29.self_attn.o_proj.weight"),
        ("blk.1.attn_norm.weight", "model.layers.1.input_layernorm.weight"),
        ("blk.1.ffn_norm.weight", "model.layers.1.post_attention_layernorm.weight"),
        ("blk.2.ffn_gate.weight", "model.layers.2.mlp.gate_proj.weight"),
        ("blk.2.ffn_up.weight", "model.layers.2.mlp.up_proj.weight"),
        ("blk.2.ffn_down.weight", "model.layers.2.mlp.down_proj.weight"),
    ],
)
def test_it_maps_gguf_names_to_mlx_lm_llama_names(gguf_name: str, expected: str):
    assert mlx_name(gguf_name) == expected


@pytest.mark.parametrize(
    "gguf_name", ["rope_freqs.weight", "blk.0.attn_qkv.weight", "blk.0.token_embd.weight", "x"]
)
def test_it_refuses_a_tensor_a_llama_does_not_have(gguf_name: str):
    with pytest.raises(ValueError, match="no llama weight"):
        mlx_name(gguf_name)


def test_it_puts_back_the_rows_rope_pairs_in_hugging_face_order():
    # One head of 4 rows: Hugging Face pairs rows (0, 2) and (1, 3); llama.cpp stores each
    # pair side by side.
    llama_cpp_order = mx.array([[0], [2], [1], [3]])
    assert unpermute_rows(llama_cpp_order, heads=1).reshape(-1).tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize(("heads", "rows", "columns"), [(1, 8, 3), (3, 24, 5), (9, 576, 4)])
def test_it_undoes_llama_cpps_permutation(heads: int, rows: int, columns: int):
    weights = mx.random.normal((rows, columns), key=mx.random.key(rows))
    restored = unpermute_rows(llama_cpp_permute(weights, heads), heads)
    assert mx.array_equal(restored, weights)
    assert not mx.array_equal(llama_cpp_permute(weights, heads), weights)  # it moved rows


def test_it_moves_packed_rows_with_their_scales_and_biases():
    weights = mx.random.normal((12, 64), key=mx.random.key(0))
    packed, scales, biases = mx.quantize(weights, group_size=GROUP_SIZE, bits=4)
    moved = [unpermute_rows(part, heads=3) for part in (packed, scales, biases)]
    assert mx.array_equal(
        mx.dequantize(*moved, group_size=GROUP_SIZE, bits=4),
        unpermute_rows(mx.dequantize(packed, scales, biases, group_size=GROUP_SIZE, bits=4), 3),
    )


def test_it_refuses_rows_that_do_not_split_into_heads():
    with pytest.raises(ValueError, match="do not split"):
        unpermute_rows(mx.zeros((6, 2)), heads=2)


def quantized_module(name: str, rows: int, columns: int, bits: int) -> dict[str, mx.array]:
    weights = mx.random.normal((rows, columns), key=mx.random.key(bits))
    packed, scales, biases = mx.quantize(weights, group_size=GROUP_SIZE, bits=bits)
    return {f"{name}.weight": packed, f"{name}.scales": scales, f"{name}.biases": biases}


def test_it_describes_4_bit_weights_with_an_entry_for_each_other_width():
    weights = {
        **quantized_module("model.embed_tokens", 16, 64, bits=8),
        **quantized_module("model.layers.0.mlp.up_proj", 8, 64, bits=4),
        "model.norm.weight": mx.ones((64,)),
    }
    assert quantization(weights) == {
        "group_size": 32,
        "bits": 4,
        "model.embed_tokens": {"group_size": 32, "bits": 8},
    }


def test_it_dequantizes_every_width_to_the_float_dtype_asked():
    weights = {
        **quantized_module("model.embed_tokens", 16, 64, bits=8),
        **quantized_module("model.layers.0.mlp.up_proj", 8, 96, bits=4),
        "model.norm.weight": mx.ones((64,)),
    }
    floats = dequantized(weights, mx.float16)
    assert {name: (a.shape, a.dtype) for name, a in floats.items()} == {
        "model.embed_tokens.weight": ((16, 64), mx.float16),
        "model.layers.0.mlp.up_proj.weight": ((8, 96), mx.float16),
        "model.norm.weight": ((64,), mx.float16),
    }
    expected = mx.dequantize(
        weights["model.layers.0.mlp.up_proj.weight"],
        weights["model.layers.0.mlp.up_proj.scales"],
        weights["model.layers.0.mlp.up_proj.biases"],
        group_size=GROUP_SIZE,
        bits=4,
    )
    assert mx.allclose(floats["model.layers.0.mlp.up_proj.weight"], expected, atol=1e-2)


def test_the_command_refuses_a_gguf_of_another_architecture(tmp_path):
    path = tmp_path / "qwen.gguf"
    mx.save_gguf(
        str(path), {"token_embd.weight": mx.zeros((4, 4))}, {"general.architecture": "qwen2"}
    )
    with pytest.raises(CommandError, match=r"only llama-architecture GGUFs.*'qwen2'"):
        call_command("import_gguf", str(path), str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("missing.gguf", "is not a file"),
        ("no-such-model-package", "no-such-model-package is not installed"),
        ("pytest", "pytest ships 0 .gguf files"),
    ],
)
def test_the_command_says_what_is_wrong_with_its_source(tmp_path, source: str, error: str):
    with pytest.raises(CommandError, match=error):
        call_command("import_gguf", source, str(tmp_path / "out"), dtype="float16")


def test_the_command_refuses_an_unknown_dtype(tmp_path):
    with pytest.raises(CommandError, match="invalid choice: 'int8'"):
        call_command("import_gguf", "model.gguf", str(tmp_path), "--dtype", "int8")
