"""Several local models in one engine: each loads on first use, and when loading one would
pass the byte cap, idle models are unloaded, least recently used first.

The models are the shipped demo model and tiny random-weight variants built here (the
engine bench's kind, with the demo tokenizer), measured from their weights as the engine
measures them.
"""

from __future__ import annotations

import functools
import time

import pytest
from django.conf import settings

from apps.demo_model.build import build_bench_model
from apps.inference.backends.local_mlx import EngineConfig, LocalEngine
from apps.inference.backends.local_models import load_lazily
from apps.inference.base import BackendError, GenerationParams
from apps.inference.prompts import Turn, build_messages

DEMO = str(settings.LOCAL_MODEL)
QUESTION = build_messages([Turn("user", "How long does delivery take?")])


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[str, str]:
    """Two random-weight variants of one small shape (different seeds)."""
    root = tmp_path_factory.mktemp("tiny-models")
    return tuple(  # type: ignore[return-value]
        str(build_bench_model(root / f"seed{seed}", hidden=64, layers=2, heads=2, kv_heads=1,
                              intermediate=128, seed=seed))
        for seed in (0, 1)
    )  # fmt: skip


@functools.cache
def size(model: str) -> int:
    return load_lazily(model).nbytes


def ask(engine: LocalEngine, model: str, max_tokens: int = 24) -> str:
    params = GenerationParams(max_tokens=max_tokens)
    return "".join(engine.submit(QUESTION, cache_key="c", params=params, model=model))


def test_it_loads_a_model_on_first_use_and_unloads_the_other_when_both_do_not_fit(tiny):
    small = tiny[0]
    cap = size(DEMO) + size(small) - 1
    engine = LocalEngine(EngineConfig(models=(DEMO, small), max_model_bytes=cap))
    assert engine.loaded_models() == {}

    first = ask(engine, DEMO)
    assert engine.loaded_models() == {DEMO: size(DEMO)}
    assert ask(engine, small)
    assert engine.loaded_models() == {small: size(small)}
    again = ask(engine, DEMO)
    assert engine.loaded_models() == {DEMO: size(DEMO)}
    assert again == first and first  # reloaded from its weights, it answers as before
    figures = engine.snapshot()
    assert (figures["model_loads"], figures["model_unloads"]) == (3, 2)
    assert figures["model_bytes"] <= figures["model_bytes_cap"] == cap
    assert figures["kv_entries"] == 1  # the unloaded model's caches went with it


def test_the_least_recently_used_model_goes_first(tiny):
    small_a, small_b = tiny
    cap = size(DEMO) + size(small_a)  # room for the demo model and one small one
    engine = LocalEngine(EngineConfig(models=(DEMO, small_a, small_b), max_model_bytes=cap))
    ask(engine, DEMO)
    ask(engine, small_a)
    ask(engine, DEMO)  # now small_a is the least recently used
    ask(engine, small_b)
    assert set(engine.loaded_models()) == {DEMO, small_b}


def test_a_request_waits_while_the_model_holding_the_room_decodes(tiny):
    small_a, small_b = tiny
    config = EngineConfig(models=tiny, max_model_bytes=size(small_a), stop_on_eos=False)
    engine = LocalEngine(config)
    runner = engine.submit(
        QUESTION, cache_key="r", params=GenerationParams(max_tokens=100_000), model=small_a
    )
    running = iter(runner)
    next(running)
    waiting = engine.submit(
        QUESTION, cache_key="w", params=GenerationParams(max_tokens=8), model=small_b
    )
    deadline = time.monotonic() + 30  # only keeps a broken engine from hanging the test
    while engine.snapshot()["parked"] != 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert engine.snapshot()["parked"] == 1
    assert engine.loaded_models() == {small_a: size(small_a)}  # not unloaded mid-reply

    runner.cancel()
    list(running)
    assert "".join(waiting)
    assert engine.loaded_models() == {small_b: size(small_b)}


def test_a_model_bigger_than_the_cap_alone_is_a_clear_error(tmp_path):
    engine = LocalEngine(EngineConfig(models=(DEMO,), max_model_bytes=1024))
    with pytest.raises(BackendError, match="over the cap of 1024") as error:
        ask(engine, DEMO)
    assert error.value.permanent
    assert not engine.healthy and engine.loaded_models() == {}


def test_it_refuses_a_model_it_was_not_given():
    engine = LocalEngine(EngineConfig(models=(DEMO,)))
    with pytest.raises(BackendError, match="not one of this engine's models"):
        engine.submit(QUESTION, cache_key="x", params=GenerationParams(max_tokens=4), model="/x")
