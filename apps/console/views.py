"""The agent console: thin views over the staff services in ``conversations.staff``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from apps.console import rendering, selectors
from apps.conversations import staff
from apps.conversations.models import Conversation
from apps.ops.permissions import agent_required


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


View = Callable[..., HttpResponse]
LOGIN_URL = reverse_lazy("console:login")


def console_view(view: View) -> View:
    """Agents only: anonymous users go to the console login, others get 403; 404 if missing;
    400 for a queue filter or page that does not exist."""

    @wraps(view)
    def wrapped(request: HtmxHttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Conversation.DoesNotExist as exc:
            raise Http404("No such conversation.") from exc
        except selectors.InvalidQueueView as exc:
            return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")

    return login_required(agent_required(wrapped), login_url=LOGIN_URL)


@require_GET
@console_view
def queue_page(request: HtmxHttpRequest) -> HttpResponse:
    view = selectors.queue_view(request.GET)
    context = {"queue": selectors.queue_page(view, request.user)}
    return render(request, "console/queue.html", context)


@require_GET
@console_view
def queue_list(request: HtmxHttpRequest) -> HttpResponse:
    view = selectors.queue_view(request.GET)
    return HttpResponse(rendering.queue_list_html(view, request.user))


@require_GET
@console_view
def conversation_page(request: HtmxHttpRequest, conversation_id: int) -> HttpResponse:
    conversation = selectors.console_conversation(conversation_id)
    context = rendering.conversation_context(conversation, request.user)
    context["canned"] = selectors.canned_responses(conversation.language)
    return render(request, "console/conversation.html", context)


@require_GET
@console_view
def transcript(request: HtmxHttpRequest, conversation_id: int) -> HttpResponse:
    conversation = selectors.console_conversation(conversation_id)
    context = {"transcript": selectors.console_transcript(conversation)}
    return render(request, "console/_transcript.html", context)


@require_POST
@console_view
def take_over(request: HtmxHttpRequest, conversation_id: int) -> HttpResponse:
    return _act(request, conversation_id, staff.conversation_take_over)


@require_POST
@console_view
def hand_back(request: HtmxHttpRequest, conversation_id: int) -> HttpResponse:
    return _act(request, conversation_id, staff.conversation_hand_back)


@require_POST
@console_view
def close(request: HtmxHttpRequest, conversation_id: int) -> HttpResponse:
    return _act(request, conversation_id, staff.conversation_close)


@require_POST
@console_view
def reply(request: HtmxHttpRequest, conversation_id: int) -> HttpResponse:
    text = request.POST.get("text", "")
    return _post_text(request, conversation_id, staff.agent_reply_post, text, "_reply_form")


@require_POST
@console_view
def note(request: HtmxHttpRequest, conversation_id: int) -> HttpResponse:
    text = request.POST.get("text", "")
    return _post_text(request, conversation_id, staff.internal_note_add, text, "_note_form")


@require_POST
@console_view
def typing(request: HtmxHttpRequest, conversation_id: int) -> HttpResponse:
    agent = cast(AbstractBaseUser, request.user)  # console_view let in only a logged-in agent
    staff.agent_typing(conversation_id=conversation_id, agent=agent)
    return HttpResponse(status=204)


def _act(request: HtmxHttpRequest, conversation_id: int, action: Callable) -> HttpResponse:
    """Run one staff action; the agent sees its error (who has it, say) in the action panel."""
    error = ""
    try:
        action(conversation_id=conversation_id, agent=request.user)
    except staff.StaffActionError as exc:
        error = exc.detail
    if not error and not request.htmx:
        return redirect("console:conversation", conversation_id)
    conversation = selectors.console_conversation(conversation_id)
    context = rendering.actions_context(conversation, request.user, error=error)
    status = 409 if error and not request.htmx else 200  # htmx swaps only 2xx by default
    return render(request, "console/_actions.html", context, status=status)


def _post_text(
    request: HtmxHttpRequest, conversation_id: int, post: Callable, text: str, form: str
) -> HttpResponse:
    """Post a reply or a note; on error the form comes back with the text and the reason."""
    try:
        post(conversation_id=conversation_id, agent=request.user, text=text)
    except staff.StaffActionError as exc:
        context = {"conversation_id": conversation_id, "text": text, "error": exc.detail}
        status = 200 if request.htmx else 409
        return render(request, f"console/{form}.html", context, status=status)
    if not request.htmx:
        return redirect("console:conversation", conversation_id)
    return render(request, f"console/{form}.html", {"conversation_id": conversation_id})
