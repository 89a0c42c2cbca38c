"""Schemathesis reads /v1/openapi.json from the running app and throws generated requests,
valid and invalid, at every operation: no 5xx, and every response is one the document
describes (status, content type, body schema)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from apps.api.models import ApiKey

pytestmark = pytest.mark.slow

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Per operation and mode. A valid chat request is a real reply from the real worker.
EXAMPLES = 4


def test_every_operation_answers_as_the_openapi_document_says(live_stack, api_key):
    # A generous limit: the examples come faster than a key's default allows.
    ApiKey.objects.filter(id=api_key.key.id).update(rate_limit_per_minute=10_000)
    schema = schemathesis.openapi.from_url(f"{live_stack.base_url}/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} == {
        "/v1/chat/completions", "/v1/models", "/v1/conversations/{conversation}/messages",
    }  # fmt: skip
    auth = {"Authorization": f"Bearer {api_key.secret}"}
    statuses: list[tuple[str, int]] = []
    for operation in operations:
        # The document's own examples (each is one case), then generated cases.
        strategies = [
            *operation.get_strategies_from_examples(),
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        ]
        for strategy in strategies:

            @given(case=strategy)
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def call(case: schemathesis.Case) -> None:
                response = case.call_and_validate(headers=auth, checks=CHECKS, timeout=90)
                statuses.append((case.operation.path, response.status_code))

            call()
    # The document's examples are real answers, streamed and not, checked like the rest.
    assert statuses.count(("/v1/chat/completions", 200)) >= 2
