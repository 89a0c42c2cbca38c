"""The widget speaks the customer's language; its words come from the page, not chat.js."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from apps.conversations import services
from apps.conversations.models import Conversation

CHAT_JS = Path(__file__).resolve().parents[2] / "static" / "widget" / "chat.js"
WIDGET_WORDS = (
    "connecting…",
    "online",
    "reconnecting…",
    "retrying…",
    "is typing…",
    "Thinking…",
    "Ask us anything",
    "Talk to a person",
)

# Line comments (not "://" in a URL) may quote the words; string literals may not.
JS_COMMENT = re.compile(r"(?:^|(?<=\s))//.*$", re.MULTILINE)
JS_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|`(?:[^`\\]|\\.)*`')

pytestmark = pytest.mark.django_db


def texts(body: str) -> dict[str, str]:
    return dict(re.findall(r'data-text-([a-z]+)="([^"]*)"', body))


def test_it_renders_english_for_an_english_browser(client):
    body = client.get("/", headers={"accept-language": "en-GB,en;q=0.9"}).content.decode()
    assert '<html lang="en">' in body
    assert texts(body) == {
        "connecting": "connecting…",
        "online": "online",
        "reconnecting": "reconnecting…",
        "retrying": "retrying…",
        "typing": "{agent} is typing…",
    }
    assert 'placeholder="Ask us anything"' in body and ">Talk to a person</button>" in body


def test_it_renders_chinese_for_a_chinese_browser(client):
    response = client.get("/", headers={"accept-language": "zh-CN,zh;q=0.9"})
    body = response.content.decode()
    assert '<html lang="zh-hans">' in body and response.headers["Content-Language"] == "zh-hans"
    assert texts(body)["online"] == "在线"
    assert texts(body)["typing"] == "{agent} 正在输入…"
    assert 'placeholder="请输入问题"' in body and ">转人工</button>" in body


def test_it_follows_the_conversation_once_its_language_is_known(client):
    client.get("/", headers={"accept-language": "en"})
    conversation = Conversation.objects.get(session_key=client.session.session_key)
    services.message_post(conversation=conversation, client_msg_id=uuid.uuid4(), text="发货要多久?")
    body = client.get("/", headers={"accept-language": "en"}).content.decode()
    assert texts(body)["online"] == "在线"


def test_it_keeps_customer_words_out_of_the_script():
    code = JS_COMMENT.sub("", CHAT_JS.read_text(encoding="utf-8"))
    literals = JS_STRING.findall(code)
    assert [s for s in literals if any(word in s for word in WIDGET_WORDS)] == []
