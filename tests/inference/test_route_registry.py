"""One backend per route, one vocabulary for route names: the registry and ops agree."""

from __future__ import annotations

import pytest

from apps.conversations.models import Message
from apps.inference.base import AnswerStream, BackendRequest, GenerationParams
from apps.inference.breakers import BACKENDS
from apps.inference.prompts import Turn
from apps.inference.registry import BACKENDS as REGISTRY
from apps.inference.registry import MODEL_ROUTES, REMEMBERED_ROUTES, backend_for
from apps.ops.models import RoutingFlags
from apps.ops.vocabulary import KILLABLE_ROUTES, Route
from apps.ops.vocabulary import MODEL_ROUTES as OPS_MODEL_ROUTES


def test_every_route_but_the_staffs_has_exactly_one_backend():
    assert set(REGISTRY) == set(Route) - {Route.AGENT}
    assert all(backend.route == route for route, backend in REGISTRY.items())


def test_the_models_ops_can_choose_are_the_models_with_breakers():
    assert set(MODEL_ROUTES) == set(OPS_MODEL_ROUTES) == set(BACKENDS)
    default_backend = RoutingFlags._meta.get_field("default_backend")
    assert {value for value, _ in default_backend.choices} == set(MODEL_ROUTES)


def test_a_kill_switch_exists_for_every_killable_route():
    fields = {field.name for field in RoutingFlags._meta.get_fields()}
    assert {f"kill_{route}" for route in KILLABLE_ROUTES} <= fields


def test_messages_record_routes_in_the_same_vocabulary():
    assert Message.Route is Route


def test_only_fresh_answers_are_remembered():
    assert set(REMEMBERED_ROUTES) == {Route.LOCAL, Route.CLOUD, Route.FAQ}


def test_the_apology_answers_in_the_customers_language():
    def apology(text: str) -> str:
        request = BackendRequest((Turn("user", text),), "k", GenerationParams(max_tokens=8))
        stream = backend_for(Route.CANNED).open(request)
        assert isinstance(stream, AnswerStream)
        return "".join(stream)

    assert apology("hello") != apology("你好")


def test_a_name_that_is_no_inference_route_has_no_backend():
    with pytest.raises(KeyError):
        backend_for(Route.AGENT)
