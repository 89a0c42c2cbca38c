"""The official ``openai`` SDK against the live stack (Daphne, a reply worker with the demo
model, a background worker): the API is the widget's pipeline behind OpenAI's shapes."""

from __future__ import annotations

import json
import urllib.request
import uuid

import openai
import pytest

from apps.api.models import ApiKey
from apps.api.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from apps.conversations.models import Conversation, Message

pytestmark = pytest.mark.slow

QUESTION = "How long does shipping take?"


def stored_reply(reply_id: int) -> Message:
    return Message.objects.select_related("conversation").get(id=reply_id)


def test_a_completion_is_the_stored_grounded_reply_of_an_api_conversation(sdk, demo_faq):
    ask = {
        "model": "gpt-4o-mini",  # whatever the client's code names: the desk answers
        "messages": [
            {"role": "system", "content": "You are a pirate."},  # the desk's prompt rules
            {"role": "user", "content": QUESTION},
        ],
        "user": "customer-1",
    }
    completion = sdk.chat.completions.create(**ask)
    desk = completion.model_extra["surgedesk"]
    reply = stored_reply(desk["reply_id"])
    assert completion.choices[0].message.content == reply.text != ""
    assert reply.conversation.channel == Conversation.Channel.API
    assert str(reply.conversation.uuid) == desk["conversation"]
    assert reply.grounded_on  # the FAQ entry the model's prompt carried
    assert desk["route"] == reply.route == "local"
    assert desk["sentiment"] == reply.reply_to.sentiment != ""
    assert desk["handoff"] is None
    assert completion.usage.completion_tokens == reply.tokens_out > 0
    # A retried request (a lost response, say) is not answered twice.
    retried = sdk.chat.completions.create(**ask)
    assert retried.model_extra["surgedesk"]["reply_id"] == reply.id
    assert retried.choices[0].message.content == reply.text
    # The customer's earlier turns are not stored again: one customer, one conversation.
    again = sdk.chat.completions.create(
        model="surgedesk",
        messages=[
            {"role": "user", "content": QUESTION},
            {"role": "assistant", "content": reply.text},
            {"role": "user", "content": "And can I return it?"},
        ],
        user="customer-1",
    )
    assert again.model_extra["surgedesk"]["conversation"] == desk["conversation"]
    assert reply.conversation.messages.filter(role=Message.Role.CUSTOMER).count() == 2


def test_a_streamed_completion_sends_the_stored_text_in_chunks_then_usage(sdk, demo_faq):
    stream = sdk.chat.completions.create(
        model="surgedesk",
        messages=[
            {"role": "user", "content": "Hi there!"},
            {"role": "assistant", "content": "Hello! How can I help?"},
            {"role": "user", "content": QUESTION},
        ],
        stream=True,
        stream_options={"include_usage": True},
        extra_headers={"X-SurgeDesk-Customer": "customer-2"},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    final = next(c for c in chunks if c.choices and c.choices[0].finish_reason == "stop")
    reply = stored_reply(final.model_extra["surgedesk"]["reply_id"])
    assert text == reply.text != ""
    assert sum(1 for c in chunks if c.choices and c.choices[0].delta.content) >= 1
    assert chunks[-1].usage.completion_tokens == reply.tokens_out
    # A new conversation takes the client's earlier turns as its history.
    history = list(reply.conversation.messages.order_by("id").values_list("role", "text"))
    assert history[:3] == [
        ("customer", "Hi there!"),
        ("assistant", "Hello! How can I help?"),
        ("customer", QUESTION),
    ]


def test_a_takeover_is_told_to_the_client_and_the_agents_reply_is_pushed_and_fetched(
    sdk, live_stack, api_key, webhook_receiver, console_agent
):
    ApiKey.objects.filter(id=api_key.key.id).update(webhook_url=webhook_receiver.url)
    first = sdk.chat.completions.create(
        model="surgedesk", messages=[{"role": "user", "content": "hello"}], user="customer-3"
    )
    conversation = Conversation.objects.get(uuid=first.model_extra["surgedesk"]["conversation"])
    console_agent.post(f"/console/{conversation.id}/take-over/")

    held = sdk.chat.completions.create(
        model="surgedesk",
        messages=[{"role": "user", "content": "is anyone there?"}],
        user="customer-3",
    )
    desk = held.model_extra["surgedesk"]
    assert desk["handoff"]["status"] == "human" and desk["handoff"]["agent"] == "alice"
    assert held.choices[0].message.content == desk["handoff"]["text"]
    assert "alice" in desk["handoff"]["text"]
    assert desk["reply_id"] is None  # no AI reply while a person has the conversation

    console_agent.post(f"/console/{conversation.id}/reply/", text="Yes, hi!")
    answer = Message.objects.get(conversation=conversation, role=Message.Role.AGENT)
    assert webhook_receiver.arrived.wait(30)
    pushed = webhook_receiver.received[0]
    timestamp = pushed.headers[TIMESTAMP_HEADER]
    secret = api_key.key.webhook_secret
    assert pushed.headers[SIGNATURE_HEADER] == signature(secret, timestamp, pushed.body)
    assert webhook_receiver.json() == {
        "type": "agent.message",
        "conversation": str(conversation.uuid),
        "user": "customer-3",
        "message": {
            "id": answer.id, "role": "agent", "content": "Yes, hi!", "agent": "alice",
            "created": int(answer.created_at.timestamp()),
        },
    }  # fmt: skip
    request = urllib.request.Request(
        f"{live_stack.base_url}/v1/conversations/{conversation.uuid}/messages"
        f"?after={desk['message_id']}",
        headers={"Authorization": f"Bearer {api_key.secret}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        fetched = json.load(response)
    assert [(m["role"], m["content"]) for m in fetched["data"]] == [("agent", "Yes, hi!")]
    assert fetched["handoff"]["status"] == "human"


def test_the_sdk_raises_its_own_errors_for_a_bad_key_a_flood_and_a_missing_scope(
    live_stack, sdk, api_key
):
    stranger = openai.OpenAI(base_url=sdk.base_url, api_key="sd-not-a-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as refused:
        stranger.models.list()
    assert refused.value.body["type"] == "authentication_error"

    ApiKey.objects.filter(id=api_key.key.id).update(rate_limit_per_minute=3)
    assert [m.id for m in sdk.models.list()] == ["surgedesk"]
    sdk.models.list()
    sdk.models.list()
    with pytest.raises(openai.RateLimitError) as flooded:
        sdk.models.list()
    assert flooded.value.body["type"] == "rate_limit_exceeded"
    assert int(flooded.value.response.headers["Retry-After"]) >= 1

    ApiKey.objects.filter(id=api_key.key.id).update(scopes=["chat"], rate_limit_per_minute=None)
    with pytest.raises(openai.PermissionDeniedError) as unscoped:
        sdk.get(f"/conversations/{uuid.uuid4()}/messages", cast_to=object)
    assert unscoped.value.body["code"] == "insufficient_scope"

    ApiKey.objects.filter(id=api_key.key.id).update(revoked_at="2026-01-01T00:00Z")
    with pytest.raises(openai.AuthenticationError):
        sdk.models.list()
