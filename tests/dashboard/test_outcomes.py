"""AI outcome figures from real Postgres: per day and over a range, by the written
definitions, on the ops page, in admin and as CSV; a bad range is a clear 400."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.utils import timezone

from apps.conversations.models import Conversation, Csat, Message
from apps.conversations.services import handoff_request
from apps.conversations.staff import conversation_close, conversation_take_over
from apps.dashboard.outcomes import NO_RATINGS, outcome_report

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def at_midday():
    """The figures are per local day, and the shop's day goes back two hours: each test
    runs at today's midday, so a run just after midnight still counts it all as today."""
    midday = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    with time_machine.travel(midday, tick=True):
        yield


def make_user(username: str, *roles: str, superuser: bool = False) -> User:
    """Staff with no password: hashing one costs a second of CPU here, and these sign in
    with ``force_login``."""
    user = User.objects.create(username=username, is_staff=True, is_superuser=superuser)
    user.groups.add(*(Group.objects.get_or_create(name=role)[0] for role in roles))
    return user


@pytest.fixture
def ops_client(client):
    client.force_login(make_user("olga", "ops", superuser=True))
    return client


def conversation(*, days_ago: int = 0, minutes_idle: float = 0) -> Conversation:
    """A conversation with one customer message, its messages ``minutes_idle`` old."""
    started = timezone.now() - timedelta(days=days_ago, minutes=minutes_idle)
    convo = Conversation.objects.create(session_key=f"s-{Conversation.objects.count()}")
    Conversation.objects.filter(id=convo.id).update(created_at=started)
    said = Message.objects.create(conversation=convo, role=Message.Role.CUSTOMER, text="hi")
    Message.objects.filter(id=said.id).update(created_at=started)
    return convo


def reply(convo: Conversation, route: str, ttft_ms: int | None, fallback_reason: str = "") -> None:
    first = convo.messages.order_by("id").first()
    written = Message.objects.create(
        conversation=convo,
        role=Message.Role.ASSISTANT,
        text="an answer",
        route=route,
        ttft_ms=ttft_ms,
        fallback_reason=fallback_reason,
    )
    Message.objects.filter(id=written.id).update(created_at=first.created_at)


@pytest.fixture
def shop_days():
    """Today: five conversations; yesterday: one."""
    agent = make_user("alma", "agent")
    idle = conversation(minutes_idle=120)  # resolved: idle past OUTCOME_IDLE_MINUTES (30)
    reply(idle, "local", 100)
    reply(idle, "local", 900)  # a later reply: not the first response
    reply(conversation(), "cloud", 300)  # still talking: not resolved (yet)
    asked = conversation()
    reply(asked, "faq", 20, fallback_reason="surge")
    handoff_request(conversation=asked)  # handed: asked_for_human
    taken = conversation(minutes_idle=120)
    reply(taken, "local", 500)
    conversation_take_over(conversation_id=taken.id, agent=agent)  # handed: staff_takeover
    closed = conversation()
    reply(closed, "cache", 10)
    conversation_close(conversation_id=closed.id, agent=agent)  # resolved: closed
    reply(conversation(days_ago=1, minutes_idle=5), "canned", 3000, fallback_reason="error")
    return agent


def test_it_counts_each_day_by_the_written_definitions(shop_days):
    today = timezone.localdate()
    report = outcome_report(today - timedelta(days=1), today)
    day, yesterday = report.days
    assert day.day == today and yesterday.day == today - timedelta(days=1)
    assert day.conversations == 5
    assert day.resolved_by_ai == 2
    assert day.handed_to_person == {"asked_for_human": 1, "staff_takeover": 1}
    assert day.replies == {"local": 3, "cloud": 1, "faq": 1, "cache": 1}
    assert day.fallback_rate == pytest.approx(1 / 6, abs=0.001)
    assert day.first_response_p50_ms == pytest.approx(100)  # of 10, 20, 100, 300, 500
    assert day.first_response_p95_ms == pytest.approx(460)
    assert (yesterday.conversations, yesterday.resolved_by_ai) == (1, 1)
    assert yesterday.replies == {"canned": 1} and yesterday.fallback_rate == 1.0


def test_the_range_has_its_own_figures_not_a_sum_of_percentiles(shop_days):
    today = timezone.localdate()
    total = outcome_report(today - timedelta(days=1), today).total
    assert (total.conversations, total.resolved_by_ai, total.handed_total) == (6, 3, 2)
    assert total.replies_total == 7 and total.fell_back == 2
    assert total.first_response_p50_ms == pytest.approx(200)  # of 10 … 500 and 3000
    assert str(total.csat) == NO_RATINGS


def test_it_exports_the_range_as_csv(shop_days, ops_client):
    client = ops_client
    today = timezone.localdate()
    start = today - timedelta(days=1)
    response = client.get(f"/ops/outcomes.csv?start={start}&end={today}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"surgedesk-outcomes-{start}-{today}.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["day"] for row in rows] == [f"{start}..{today}", str(today), str(start)]
    assert rows[0]["conversations"] == "6"
    assert rows[1]["handed:asked_for_human"] == "1"
    assert rows[1]["replies:local"] == "3"
    assert rows[2]["fallback_rate"] == "1.0"
    assert rows[0]["csat_ratings"] == "0" and rows[0]["csat_average"] == ""


def test_the_ops_page_and_admin_show_the_figures(shop_days, ops_client):
    client = ops_client
    page = client.get("/ops/").content.decode()
    assert 'id="outcomes-table"' in page and NO_RATINGS in page
    fragment = client.get("/ops/outcomes/", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment and 'data-figure="resolved_by_ai">2<' in fragment
    admin = client.get("/admin/dashboard/aioutcome/")
    assert admin.status_code == 200
    assert 'data-figure="conversations">5<' in admin.content.decode()


@pytest.mark.parametrize(
    "query", ["start=2026-02-30", "start=2026-03-02&end=2026-03-01", "start=2020-01-01"]
)
def test_a_bad_range_is_a_clear_400(ops_client, query):
    fragment = ops_client.get(f"/ops/outcomes/?{query}")
    assert fragment.status_code == 400
    assert 'role="alert"' in fragment.content.decode()
    exported = ops_client.get(f"/ops/outcomes.csv?{query}")
    assert exported.status_code == 400 and exported.content


def test_the_plots_endpoint_refuses_an_unknown_window(ops_client):
    response = ops_client.get("/ops/plots/?window=1y")
    assert response.status_code == 400
    assert "15m" in response.json()["error"]
    assert set(ops_client.get("/ops/plots/?window=1h").json()["charts"]) == {
        "ttft", "queue", "replies", "fallbacks", "breakers", "sentiment", "waiting",
    }  # fmt: skip


def test_agents_do_not_reach_the_figures(client):
    client.force_login(make_user("arne", "agent"))
    for url in ("/ops/plots/", "/ops/outcomes/", "/ops/outcomes.csv"):
        assert client.get(url).status_code == 403


def test_csat_counts_the_ratings_customers_gave_not_the_requests_left_unanswered(shop_days):
    today = timezone.localdate()
    now = timezone.now()
    asked = {"trigger": Csat.Trigger.IDLE, "requested_at": now}
    Csat.objects.create(conversation=conversation(), rating=5, rated_at=now, **asked)
    Csat.objects.create(conversation=conversation(), rating=2, rated_at=now, **asked)
    Csat.objects.create(conversation=conversation(), **asked)  # asked, never answered
    report = outcome_report(today - timedelta(days=1), today)
    assert (report.total.csat.ratings, report.total.csat.average) == (2, 3.5)
    assert str(report.total.csat) == "3.50 (2)"
