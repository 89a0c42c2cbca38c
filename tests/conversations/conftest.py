from __future__ import annotations

from tests.inference.fixtures import mlx_server  # noqa: F401
