"""Pick the ordered routes for one reply: a plain function, testable without any backend.

The plan lists every candidate in preference order. A candidate the flags or a breaker
rule out stays in the plan with the reason it was skipped, so the service can record
why the reply did not come from the preferred route. The plan always ends with the
canned apology, which cannot fail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from apps.ops.flags import Flags

LOCAL, CLOUD, FAQ, CANNED = "local", "cloud", "faq", "canned"
MODEL_ROUTES = (LOCAL, CLOUD)

ALLOWED_BY_MODE = {
    "auto": {LOCAL, CLOUD, FAQ},
    "local_only": {LOCAL, FAQ},
    "cloud_only": {CLOUD, FAQ},
    "faq_only": {FAQ},
}
# Conversations a person is handling get no machine reply at all.
HUMAN_STATUSES = {"human", "closed"}


@dataclass(frozen=True)
class RouteRequest:
    text: str
    user_turns: int = 1
    conversation_status: str = "ai"


@dataclass(frozen=True)
class Step:
    route: str
    skip_reason: str = ""  # "" means: try it


@dataclass(frozen=True)
class RoutePlan:
    steps: tuple[Step, ...]

    @property
    def routes(self) -> tuple[str, ...]:
        """The routes that will be tried, in order."""
        return tuple(s.route for s in self.steps if not s.skip_reason)


def plan_routes(flags: Flags, breakers: Mapping[str, str], request: RouteRequest) -> RoutePlan:
    if request.conversation_status in HUMAN_STATUSES:
        return RoutePlan(steps=())
    steps = [
        Step(route, _skip_reason(route, flags, breakers)) for route in _preferred(flags, request)
    ]
    return RoutePlan(steps=(*steps, Step(CANNED)))


def preferred_model(flags: Flags, request: RouteRequest) -> str:
    """Which model auto mode tries first: complaint > local topic > long message > default."""
    text = request.text.lower()
    if request.user_turns >= flags.complaint_min_turns and _mentions(text, flags.cloud_keywords):
        return CLOUD
    if _mentions(text, flags.local_keywords):
        return LOCAL
    if len(request.text) >= flags.long_message_chars:
        return CLOUD
    return flags.default_backend if flags.default_backend in MODEL_ROUTES else LOCAL


def _preferred(flags: Flags, request: RouteRequest) -> tuple[str, ...]:
    """Candidates in order. A mode naming one model drops the other: that is a choice, not
    a fallback. faq_only keeps both models (skipped as ``flag``) so replies say why."""
    if flags.mode == "local_only":
        return (LOCAL, FAQ)
    if flags.mode == "cloud_only":
        return (CLOUD, FAQ)
    first = preferred_model(flags, request)
    second = CLOUD if first == LOCAL else LOCAL
    return (first, second, FAQ)


def _skip_reason(route: str, flags: Flags, breakers: Mapping[str, str]) -> str:
    if route in flags.killed:
        return "killed"
    if route not in ALLOWED_BY_MODE.get(flags.mode, ALLOWED_BY_MODE["auto"]):
        return "flag"
    if breakers.get(route) == "open":
        return "breaker_open"
    return ""


def _mentions(text: str, keywords: tuple[str, ...]) -> bool:
    return any(word in text for word in keywords)
