from __future__ import annotations

from tests.inference.fixtures import (  # noqa: F401
    cloud_server,
    demo_faq,
    empty_faq,
    fresh_breakers,
    mlx_server,
    own_answer_cache,
    proxy_factory,
    smollm2_dir,
    smollm2_server,
)
