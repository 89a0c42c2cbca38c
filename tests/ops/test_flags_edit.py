"""Editing the routing flags: validated, audited (who, when, old, new), seen at once."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError

from apps.conversations import services
from apps.conversations.models import Conversation
from apps.ops.flags import current_flags, forget_cached_flags
from apps.ops.models import RoutingFlags
from apps.ops.selectors import flag_changes
from apps.ops.services import EDITABLE_FIELDS, flags_update

pytestmark = pytest.mark.django_db


def form_data(**changes) -> dict:
    row = RoutingFlags()
    data = {name: getattr(row, name) for name in EDITABLE_FIELDS}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not False}  # unchecked boxes are absent


def post(client, **changes):
    return client.post("/ops/flags/", form_data(**changes), headers={"HX-Request": "true"})


def test_it_saves_a_valid_change_and_returns_the_form_fragment(
    ops_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(ops_client, mode="faq_only", kill_cloud=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Saved." in body and "<html" not in body
    flags = current_flags()
    assert flags.mode == "faq_only"
    assert flags.killed == frozenset({"cloud"})


def test_it_audits_who_changed_what_from_what_to_what(ops_client):
    post(ops_client, max_tokens=200)
    post(ops_client, max_tokens=120, mode="local_only")
    changes = {(c.field, c.old, c.new, c.changed_by) for c in flag_changes()}
    assert ("max_tokens", 200, 120, "olivia") in changes
    assert ("mode", "auto", "local_only", "olivia") in changes
    assert "max_tokens" in ops_client.get("/ops/status/").content.decode()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"mode": "turbo"}, "mode", "not one of the available choices"),
        ({"max_tokens": 0}, "max_tokens", "greater than or equal to 16"),
        ({"ttft_deadline_ms": "soon"}, "ttft_deadline_ms", "Enter a whole number"),
        (
            {"ttft_deadline_ms": 5000, "total_deadline_ms": 4000},
            "total_deadline_ms",
            "must be longer than the TTFT deadline",
        ),
        ({"local_keywords": "x" * 41}, "local_keywords", "at most 40 characters"),
    ],
)
def test_it_rejects_invalid_values_with_a_clear_error(ops_client, changes, field, message):
    response = post(ops_client, **changes)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert RoutingFlags.history.count() == 0  # nothing saved


def test_a_plain_form_post_redirects_back_to_the_page(ops_client):
    response = ops_client.post("/ops/flags/", form_data(mode="cloud_only"))
    assert response.status_code == 302
    assert RoutingFlags.objects.get(pk=1).mode == "cloud_only"


def test_the_service_refuses_invalid_values_too():
    with pytest.raises(ValidationError):
        flags_update(user=None, changes={"max_tokens": 999999})
    with pytest.raises(ValueError, match="not editable"):
        flags_update(user=None, changes={"updated_at": None})


def test_an_admin_edit_goes_through_the_same_service(admin_client):
    url = "/admin/ops/routingflags/add/"
    response = admin_client.post(url, form_data(mode="faq_only"))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert RoutingFlags.objects.get(pk=1).mode == "faq_only"
    record = RoutingFlags.history.latest("history_id")
    assert record.history_user.username == "admin"
    assert admin_client.get("/admin/ops/routingflags/1/history/").status_code == 200


def test_it_rejects_invalid_business_hours():
    with pytest.raises(ValidationError) as info:
        flags_update(user=None, changes={"business_open": "25:00"})
    assert "business_close" in info.value.message_dict


def test_escalation_follows_the_ops_flags():
    flags_update(user=None, changes={"escalation_negative_streak": 3})
    forget_cached_flags()
    conversation = services.conversation_for_session(session_key=uuid.uuid4().hex)
    for text in ("My parcel still hasn't shipped.", "Nobody answers my emails, ridiculous."):
        services.message_post(conversation=conversation, client_msg_id=uuid.uuid4(), text=text)
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.AI  # two in a row is not enough now
    services.message_post(
        conversation=conversation, client_msg_id=uuid.uuid4(), text="Still broken. Useless."
    )
    conversation.refresh_from_db()
    assert conversation.escalation_reason == "negative_streak"
