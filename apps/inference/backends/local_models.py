"""The local models an engine holds in memory: loaded on first use, least recently used
unloaded first when loading another would pass the byte cap.

A model's size is measured from its weights before they are read: mlx-lm loads a model
lazily (shapes and dtypes known, no data read), so ``nbytes`` of its parameters is what
reading them will take, quantized weights included. Only the engine thread changes the
shelf; other threads read the copies it publishes (``residents``, ``loaded``) as it does.
"""

from __future__ import annotations

import gc
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from apps.inference.base import BackendError

logger = logging.getLogger(__name__)


@dataclass
class Resident:
    """One loaded model, its tokenizer and generator, and the requests it decodes now."""

    path: str
    nbytes: int
    tokenizer: Any
    generator: Any
    active: dict[int, Any] = field(default_factory=dict)  # uid -> LocalStream
    prefill_tok_s: float = 0.0  # measured prompt-processing speed (EMA)


@dataclass(frozen=True)
class Unloaded:
    """A lazily loaded model: its size is known, its weights not read yet."""

    model: Any
    tokenizer: Any
    nbytes: int


def load_lazily(path: str) -> Unloaded:
    import mlx.core as mx
    from mlx.utils import tree_flatten
    from mlx_lm import load

    loaded = load(path, lazy=True)  # (model, tokenizer), typed as maybe with a config
    model, tokenizer = loaded[0], loaded[1]
    parameters = model.parameters()  # type: ignore[no-untyped-call]
    arrays = cast("list[tuple[str, mx.array]]", tree_flatten(parameters))
    return Unloaded(model, tokenizer, sum(array.nbytes for _, array in arrays))


class ModelShelf:
    """Which models are loaded, least recently used first, within ``max_bytes``."""

    def __init__(
        self,
        max_bytes: int,
        make_generator: Callable[[Any, Any], Any],
        on_unload: Callable[[str], None],
    ) -> None:
        self.max_bytes = max_bytes
        self._make_generator = make_generator  # (model, tokenizer) -> BatchGenerator
        self._on_unload = on_unload  # drop what belonged to the model (its KV caches)
        self._loaded: OrderedDict[str, Resident] = OrderedDict()
        self._sizes: dict[str, int] = {}
        self.residents: tuple[Resident, ...] = ()  # replaced whole, so any thread may read it
        self.loads = 0
        self.unloads = 0

    @property
    def total_bytes(self) -> int:
        return sum(r.nbytes for r in self.residents)

    def loaded(self) -> dict[str, int]:
        """Model path -> bytes."""
        return {r.path: r.nbytes for r in self.residents}

    def resident(self, path: str) -> Resident | None:
        """The loaded model at ``path``, loading it first if there is room (idle models
        are unloaded, least recently used first, to make it). None: the models holding the
        room are all decoding; ask again once one is idle. BackendError: it cannot load."""
        if (found := self._loaded.get(path)) is not None:
            self._loaded.move_to_end(path)
            return found
        size = self._sizes.get(path)
        lazy = None
        if size is None:
            lazy = self._load_lazily(path)
            size = self._sizes[path] = lazy.nbytes
        if size > self.max_bytes:
            raise BackendError(
                f"local model {path} needs {size} bytes, over the cap of {self.max_bytes}",
                retryable=False,
            )
        if not self._make_room(size):
            return None
        return self._load(path, lazy or self._load_lazily(path))

    def _make_room(self, nbytes: int) -> bool:
        """Unload idle models, least recently used first, until ``nbytes`` more fit; none
        when even all of them would not make room (the busy ones hold too much)."""
        idle = [r for r in self._loaded.values() if not r.active]
        if self.total_bytes - sum(r.nbytes for r in idle) + nbytes > self.max_bytes:
            return False
        for resident in idle:
            if self.total_bytes + nbytes <= self.max_bytes:
                break
            self._unload(resident)
        return True

    def _load(self, path: str, lazy: Unloaded) -> Resident:
        import mlx.core as mx

        mx.eval(lazy.model.parameters())  # read the weights now, not on the first request
        resident = Resident(
            path, lazy.nbytes, lazy.tokenizer, self._make_generator(lazy.model, lazy.tokenizer)
        )
        self._loaded[path] = resident
        self.residents = tuple(self._loaded.values())
        self.loads += 1
        logger.info("local model %s loaded (%d bytes)", path, lazy.nbytes)
        return resident

    def _unload(self, resident: Resident) -> None:
        import mlx.core as mx

        del self._loaded[resident.path]
        self.residents = tuple(self._loaded.values())
        resident.generator.close()
        resident.generator = None
        self._on_unload(resident.path)
        gc.collect()  # the model's arrays go with their last reference
        mx.clear_cache()  # and MLX hands their buffers back instead of keeping them
        self.unloads += 1
        logger.info("local model %s unloaded to make room", resident.path)

    @staticmethod
    def _load_lazily(path: str) -> Unloaded:
        try:
            return load_lazily(path)
        except Exception as exc:
            raise BackendError(
                f"local model {path} failed to load: {exc}", retryable=False
            ) from exc
