"""Pick the ordered routes for one reply: a plain function, testable without any backend.

The plan lists every candidate in preference order. A candidate the flags or a breaker
rule out stays in the plan with the reason it was skipped, so the service can record
why the reply did not come from the preferred route. The plan always ends with the
canned apology, which cannot fail.

**Answer cache.** A context-free question leads the plan with the ``cache`` route; a miss
falls through to the plan as if the cache were not there. Context-free means all of:

- the conversation's first customer turn (a later turn's answer depends on the earlier ones);
- ``apps.faq.answer_cache.is_cacheable`` (nothing about the customer's own order or contact);
- conversation status ``ai``: never ``waiting_human`` (the customer asked for a person, so a
  canned-from-cache answer is the wrong tone and must not be learnt either) nor ``human``.

The same rule decides whether the reply is remembered afterwards (``RoutePlan.cacheable``).

**Small and big local model.** With several local models (``LOCAL_MODELS``), a *simple
intent* goes to the small one and every other local reply to the biggest
(``RoutePlan.simple``). Simple means: a question on one of the ops' local topics
(``local_keywords``: stock, price, shipping, size…), shorter than ``long_message_chars``,
that is not a complaint after ``complaint_min_turns`` turns: the rule that sends a
question to the local model rather than the cloud, applied once more within the local route.

The cache is used in every mode, ``faq_only`` and the single-model modes included, and
whatever is killed. That is safe because every routing-flag change empties the cache
(its keys carry the flags version, which ``flags_update`` bumps) and a reply is only remembered
when the flags did not change while it was written, so the cache only ever holds answers that
the current flags would produce: after a switch to ``faq_only`` it refills with FAQ answers
only, and a killed model's old answers are gone with the kill. An open breaker, by contrast,
keeps the cache: those answers were good, and the cache is what carries a surge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from apps.faq.answer_cache import is_cacheable
from apps.inference.registry import MODEL_ROUTES
from apps.ops.flags import Flags
from apps.ops.vocabulary import Mode, Route

CACHE_STATUSES = {"ai"}

ALLOWED_BY_MODE: dict[str, frozenset[str]] = {
    Mode.AUTO: frozenset({Route.LOCAL, Route.CLOUD, Route.FAQ}),
    Mode.LOCAL_ONLY: frozenset({Route.LOCAL, Route.FAQ}),
    Mode.CLOUD_ONLY: frozenset({Route.CLOUD, Route.FAQ}),
    Mode.FAQ_ONLY: frozenset({Route.FAQ}),
}
# Conversations a person is handling get no machine reply at all.
HUMAN_STATUSES = {"human", "closed"}


@dataclass(frozen=True)
class RouteRequest:
    text: str
    user_turns: int = 1
    conversation_status: str = "ai"
    queue_depth: int = 0  # replies waiting for a worker, measured when this one started
    # The line is too long for this reply to start within its first-token deadline
    # (admission control measured it at the edge).
    over_deadline: bool = False


@dataclass(frozen=True)
class Step:
    route: str
    skip_reason: str = ""  # "" means: try it
    # A shortcut tried before the real plan (cache, surge FAQ): missing is normal, not a fallback.
    shortcut: bool = False
    # Recorded as the reply's fallback reason when a shortcut answers instead of the plan.
    chosen_because: str = ""


@dataclass(frozen=True)
class RoutePlan:
    steps: tuple[Step, ...]
    cacheable: bool = False  # the question may be answered from, and saved to, the cache
    simple: bool = False  # a simple intent: the small local model will do

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
    shortcuts = []
    if cache_eligible(request):
        shortcuts.append(Step(Route.CACHE, shortcut=True))
    if surging(flags, request) and not _skip_reason(Route.FAQ, flags, breakers):
        # A confident FAQ answer takes milliseconds; the models keep their capacity for
        # the questions the FAQ cannot answer.
        shortcuts.append(Step(Route.FAQ, shortcut=True, chosen_because="surge"))
        steps = [step for step in steps if step.route != Route.FAQ]
    plan = (*shortcuts, *steps, Step(Route.CANNED))
    return RoutePlan(
        steps=plan, cacheable=cache_eligible(request), simple=simple_intent(flags, request)
    )


def surging(flags: Flags, request: RouteRequest) -> bool:
    """The reply would start late: admission control says so, or more replies wait for a
    worker than ops' surge threshold (0 turns the threshold off)."""
    if flags.mode == Mode.FAQ_ONLY:
        return False  # the FAQ is the plan already
    threshold = flags.surge_queue_depth
    return request.over_deadline or 0 < threshold <= request.queue_depth


def cache_eligible(request: RouteRequest) -> bool:
    """A first customer turn, about nothing personal, in a conversation the AI handles."""
    return (
        request.user_turns == 1
        and request.conversation_status in CACHE_STATUSES
        and is_cacheable(request.text)
    )


def simple_intent(flags: Flags, request: RouteRequest) -> bool:
    """A short question on a local topic, not a complaint: the small local model's."""
    text = request.text.lower()
    return (
        not _complaint(flags, request)
        and _mentions(text, flags.local_keywords)
        and len(request.text) < flags.long_message_chars
    )


def preferred_model(flags: Flags, request: RouteRequest) -> str:
    """Which model auto mode tries first: complaint > local topic > long message > default."""
    text = request.text.lower()
    if _complaint(flags, request):
        return Route.CLOUD
    if _mentions(text, flags.local_keywords):
        return Route.LOCAL
    if len(request.text) >= flags.long_message_chars:
        return Route.CLOUD
    return flags.default_backend if flags.default_backend in MODEL_ROUTES else Route.LOCAL


def _preferred(flags: Flags, request: RouteRequest) -> tuple[str, ...]:
    """Candidates in order. A mode naming one model drops the other: that is a choice, not
    a fallback. faq_only keeps both models (skipped as ``flag``) so replies say why."""
    if flags.mode == Mode.LOCAL_ONLY:
        return (Route.LOCAL, Route.FAQ)
    if flags.mode == Mode.CLOUD_ONLY:
        return (Route.CLOUD, Route.FAQ)
    first = preferred_model(flags, request)
    second = Route.CLOUD if first == Route.LOCAL else Route.LOCAL
    return (first, second, Route.FAQ)


def _skip_reason(route: str, flags: Flags, breakers: Mapping[str, str]) -> str:
    if route in flags.killed:
        return "killed"
    if route not in ALLOWED_BY_MODE.get(flags.mode, ALLOWED_BY_MODE[Mode.AUTO]):
        return "flag"
    if breakers.get(route) == "open":
        return "breaker_open"
    return ""


def _complaint(flags: Flags, request: RouteRequest) -> bool:
    return request.user_turns >= flags.complaint_min_turns and _mentions(
        request.text.lower(), flags.cloud_keywords
    )


def _mentions(text: str, keywords: tuple[str, ...]) -> bool:
    return any(word in text for word in keywords)
