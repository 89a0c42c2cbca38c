"""Console fragments, rendered once for a page, an htmx response or a websocket push.

Every fragment goes through Django templates with autoescaping on, so customer and model
text stays inert wherever it lands.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.template.loader import render_to_string

from apps.console import selectors
from apps.conversations.models import Conversation, Message


def queue_list_html(view: selectors.QueueView, user: AbstractBaseUser | AnonymousUser) -> str:
    """The agent's page of the queue, for the page's htmx requests."""
    return render_to_string("console/_queue_list.html", {"queue": selectors.queue_page(view, user)})


def queue_refresh_html(view: selectors.QueueView) -> str:
    """What the queue socket pushes: the page loads ``view`` again (an htmx out-of-band swap)."""
    return render_to_string("console/_queue_refresh.html", {"view": view})


def actions_context(
    conversation: Conversation, user: AbstractBaseUser | AnonymousUser, *, error: str = ""
) -> dict[str, Any]:
    mine = (
        conversation.status == Conversation.Status.HUMAN
        and conversation.assigned_agent_id == user.pk
    )
    return {"conversation": conversation, "mine": mine, "error": error}


def conversation_context(
    conversation: Conversation, user: AbstractBaseUser | AnonymousUser
) -> dict[str, Any]:
    transcript = selectors.console_transcript(conversation)
    return {
        **actions_context(conversation, user),
        "transcript": transcript,
        "handoff": selectors.handoff_context(conversation, transcript),
    }


class RowFrame(TypedDict):
    type: Literal["row"]
    message_id: int
    html: str


class DeltaFrame(TypedDict):
    type: Literal["delta"]
    message_id: int
    seq: int
    delta: str


class RestartFrame(TypedDict):
    type: Literal["restart"]
    message_id: int


class PanelFrame(TypedDict):
    """Replace the element with this id by ``html``."""

    type: Literal["panel"]
    id: str
    html: str


class ResyncFrame(TypedDict):
    """Pushes may have been lost (Redis was away): reload the transcript from Postgres."""

    type: Literal["resync"]


RESYNC: ResyncFrame = {"type": "resync"}

WatchFrame = RowFrame | DeltaFrame | RestartFrame | PanelFrame | ResyncFrame


def row_frame(message: Message) -> RowFrame:
    html = render_to_string("console/_message.html", {"message": message})
    return {"type": "row", "message_id": message.id, "html": html}


def stream_frame(event: dict) -> DeltaFrame | RestartFrame | None:
    """Frames that need no database read: the hot path of a streaming reply."""
    if event["type"] == "reply.delta":
        return {
            "type": "delta",
            "message_id": event["message_id"],
            "seq": event["seq"],
            "delta": event["delta"],
        }
    if event["type"] == "reply.restart":
        return {"type": "restart", "message_id": event["message_id"]}
    return None


def watch_frames(
    event: dict, *, conversation_id: int, user: AbstractBaseUser | AnonymousUser
) -> list[WatchFrame]:
    """What a staff page watching one conversation needs after ``event``."""
    if event["type"] not in {"reply.start", "reply.end", "agent.message", "staff.message"}:
        return []
    message = selectors.console_message(event["message_id"])  # each of these names one
    frames: list[WatchFrame] = [row_frame(message)]
    # The panels follow every row that lands (a customer message, a finished reply, an
    # escalation, a staff action): the handoff context is live, not refreshed on actions.
    if event["type"] != "reply.start":
        frames.extend(panel_frames(conversation_id, user))
    return frames


def panel_frames(conversation_id: int, user: AbstractBaseUser | AnonymousUser) -> list[PanelFrame]:
    conversation = selectors.console_conversation(conversation_id)
    context = conversation_context(conversation, user)
    return [
        {"type": "panel", "id": "conv-actions", "html": _render("_actions", context)},
        {"type": "panel", "id": "handoff-context", "html": _render("_context", context)},
    ]


def _render(name: str, context: dict[str, Any]) -> str:
    return render_to_string(f"console/{name}.html", context)
