"""What the customer reads in a ``notice``, in the conversation's language.

Every text is a gettext message: English here, Chinese in ``locale/zh_Hans``. Each
function takes the conversation's ``language`` ("en", "zh", "" before the first message)
and renders the text in it (``apps.config.languages.customer_text``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.config.languages import customer_text
from apps.ops.hours import ALL_DAYS, BusinessHours

QUEUED = _(
    "We're busier than usual: you're number %(place)s in line. You'll get an answer here "
    "as soon as it's your turn."
)
QUEUED_SECONDS = _(
    "We're busier than usual: you're number %(place)s in line, and your answer should "
    "start within %(seconds)s seconds. It will appear right here."
)
QUEUED_MINUTES = _(
    "We're busier than usual: you're number %(place)s in line, and your answer should "
    "start within about %(minutes)s minutes. It will appear right here."
)
# A wait is told rounded up to one of these (always plural, never a false precision).
_TOLD_SECONDS = (5, 10, 15, 20, 30, 45, 60)
AGENT_JOINED = _("%(agent)s from our team has joined the chat.")
HANDED_BACK = _("You're chatting with our assistant again. Ask for a person any time.")
CLOSED = _("This chat was closed. Send a message any time to start a new one.")
HANDOFF_ONLINE = _(
    "I've asked a member of our team to join this chat. Please hold on; a person will reply "
    "here as soon as they are free."
)
HANDOFF_OFFLINE = _(
    "Our team is offline right now. Their hours are %(schedule)s; they are next online "
    "%(when)s. Until then I (the AI assistant) will keep helping you here, and you can "
    "leave the details of your issue in this chat."
)
CSAT_REQUEST = _(
    "How did we do? Please rate this chat from 1 (poor) to 5 (excellent). A comment is welcome "
    "but optional."
)
CSAT_THANKS = _("Thank you for your rating!")

_DAYS = (
    pgettext_lazy("weekday, short", "Mon"),
    pgettext_lazy("weekday, short", "Tue"),
    pgettext_lazy("weekday, short", "Wed"),
    pgettext_lazy("weekday, short", "Thu"),
    pgettext_lazy("weekday, short", "Fri"),
    pgettext_lazy("weekday, short", "Sat"),
    pgettext_lazy("weekday, short", "Sun"),
)
_DAY_NAMES = (
    pgettext_lazy("weekday", "Monday"),
    pgettext_lazy("weekday", "Tuesday"),
    pgettext_lazy("weekday", "Wednesday"),
    pgettext_lazy("weekday", "Thursday"),
    pgettext_lazy("weekday", "Friday"),
    pgettext_lazy("weekday", "Saturday"),
    pgettext_lazy("weekday", "Sunday"),
)
# Zones that Chinese customers read as Beijing time; English keeps the zone's name.
_ZONE_NAMES = {
    "Asia/Shanghai": pgettext_lazy("time zone", "Asia/Shanghai"),
    "Asia/Chongqing": pgettext_lazy("time zone", "Asia/Chongqing"),
    "Asia/Harbin": pgettext_lazy("time zone", "Asia/Harbin"),
    "PRC": pgettext_lazy("time zone", "PRC"),
}


def queued(language: str, *, place: int, wait_s: int | None) -> str:
    """Your place in line, and the measured wait rounded up; no wait before it is measured."""
    if wait_s is None:
        return customer_text(QUEUED, language, place=place)
    seconds = next((told for told in _TOLD_SECONDS if wait_s <= told), None)
    if seconds is not None:
        return customer_text(QUEUED_SECONDS, language, place=place, seconds=seconds)
    return customer_text(QUEUED_MINUTES, language, place=place, minutes=-(-wait_s // 60))


def agent_joined(language: str, *, agent: str) -> str:
    return customer_text(AGENT_JOINED, language, agent=agent)


def handed_back(language: str) -> str:
    return customer_text(HANDED_BACK, language)


def closed(language: str) -> str:
    return customer_text(CLOSED, language)


def csat_request(language: str) -> str:
    return customer_text(CSAT_REQUEST, language)


def csat_thanks(language: str) -> str:
    return customer_text(CSAT_THANKS, language)


def handoff_notice(now: datetime, hours: BusinessHours, language: str) -> str:
    """What the customer reads when we escalate. Says plainly whether a person is coming
    now; when the team is offline, gives the hours and the next opening, and that the AI
    keeps helping meanwhile."""
    if hours.is_open(now):
        return customer_text(HANDOFF_ONLINE, language)
    when = _when_text(hours.next_opening(now), hours.local(now), language)
    schedule = _hours_text(hours, language)
    return customer_text(HANDOFF_OFFLINE, language, schedule=schedule, when=when)


def _day_ranges(days: Sequence[int]) -> list[tuple[int, int]]:
    ordered = sorted(set(days))
    ranges: list[tuple[int, int]] = []
    for day in ordered:
        if ranges and day == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def _days_text(days: Sequence[int], language: str) -> str:
    if set(days) == set(ALL_DAYS):
        return customer_text(_("every day"), language)
    parts = []
    for first, last in _day_ranges(days):
        first_day = customer_text(_DAYS[first], language)
        if first == last:
            parts.append(first_day)
            continue
        last_day = customer_text(_DAYS[last], language)
        parts.append(
            customer_text(_("%(first)s–%(last)s"), language, first=first_day, last=last_day)
        )
    return customer_text(pgettext_lazy("between list items", ", "), language).join(parts)


def _hours_text(hours: BusinessHours, language: str) -> str:
    close = hours.close
    if hours.overnight:
        close = customer_text(_("%(close)s the next day"), language, close=close)
    zone = _ZONE_NAMES.get(hours.tz)
    return customer_text(
        _("%(days)s, %(open)s–%(close)s (%(zone)s)"),
        language,
        days=_days_text(hours.days, language),
        open=hours.open,
        close=close,
        zone=customer_text(zone, language) if zone is not None else hours.tz,
    )


def _when_text(opening: datetime, now_local: datetime, language: str) -> str:
    delta_days = (opening.date() - now_local.date()).days
    clock = opening.strftime("%H:%M")
    if delta_days == 0:
        return customer_text(_("today at %(clock)s"), language, clock=clock)
    if delta_days == 1:
        return customer_text(_("tomorrow at %(clock)s"), language, clock=clock)
    day = customer_text(_DAY_NAMES[opening.weekday()], language)
    return customer_text(_("%(day)s at %(clock)s"), language, day=day, clock=clock)


# The errors a customer can meet using the widget as meant; the others (malformed frames)
# concern integrators and keep the protocol's plain English ``detail``.
_ERRORS = {
    "rate_limited": _(
        "You're sending messages faster than we can read them. Please wait a minute and try again."
    ),
    "text_too_long": _("Your message is too long. Please keep it under %(cap)s characters."),
    "unavailable": _("We couldn't take your message just now. It will be sent again shortly."),
    "server_error": _("Something went wrong on our side. Please send your message again."),
    "comment_too_long": _("Your comment is too long. Please keep it under %(cap)s characters."),
    "csat_already_given": _("You have already rated this chat. Thank you!"),
    "csat_not_requested": _("There is no chat to rate yet."),
}


def error_detail(code: str, language: str, *, fallback: str, cap: int) -> str:
    """The ``detail`` of an ``error`` event: customer words where a customer may see it.
    ``cap`` is the message length cap; a comment's cap is its own."""
    message = _ERRORS.get(code)
    if message is None:
        return fallback
    cap = settings.CSAT_COMMENT_MAX_CHARS if code == "comment_too_long" else cap
    return customer_text(message, language, cap=cap)
