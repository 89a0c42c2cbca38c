"""When to hand a conversation to a person: the escalation rule. Pure functions.

What the customer is told lives in ``apps.conversations.notices``; business hours in
``apps.ops.hours``.

Decisions (documented here because the tests pin them):

- An explicit request for a person escalates: 转人工, 人工客服, 找真人, "talk to a human",
  "real person", "representative", "your manager", ...
- 我要投诉 / "I want to file a complaint" also counts as asking for a person: a formal complaint
  (in China often a step towards 12315) is something the AI must not try to settle alone.
- Asking *whether* the agent is a person is not a request: 你是真人吗 / "are you a bot?"
  get an honest answer from the AI, not a hand-off. "Are you a bot? I want a human" still
  escalates, because of the second sentence.
- Declining a person is not a request: 不用转人工, "no need for a human".
- Reasons are checked in this order: asked_for_human, strong_negative (the current message
  alone is very angry), negative_streak (the last N messages were all negative).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from apps.sentiment.tagger import Label, normalize

Reason = Literal["asked_for_human", "negative_streak", "strong_negative"]

# --------------------------------------------------------------------------- asks_for_human

_ZH_ASK = (
    r"转人工|人工客服|人工服务|人工坐席|接人工|找人工|要人工|叫人工|人工(?:在吗|呢|回复|处理|来)|"
    r"真人客服|找真人|要真人|叫真人|真人(?:回复|回答|服务|来)|找个?活人|要活人|"
    r"换个?(?:真)?人(?:来)?(?:回答|处理|回复|跟我说|跟我聊)?|"
    r"(?:叫|找|让|要)(?:你们)?(?:的)?(?:经理|主管|领导|负责人|店长|老板|上级)|"
    r"(?:经理|主管|负责人|店长)(?:出来|在哪|呢)|"
    r"(?:不要|别|不想)(?:跟|和)?(?:用)?(?:机器人|ai|自动回复)|"
    r"客服电话|人工电话|投诉电话|我要投诉|我想投诉|我要举报|"
    r"^(?:人工)+[!.?~ ]*$"
)
_EN_WHO = (
    r"(?:a |an |the |your |some |to |with )*(?:real |live |actual |human |proper |customer "
    r"service |support )*(?:person|human|human being|agent|representative|rep|someone|somebody|"
    r"anyone|anybody|manager|supervisor|operator|staff member|employee|team member)\b"
)
_EN_ASK = (
    r"\b(?:talk|speak|chat|get through|be connected|be transferred)(?: to| with)? " + _EN_WHO + "|"
    r"\b(?:connect|transfer|put|escalate) (?:me|this|my case)(?: through)?(?: to| with)? "
    + _EN_WHO
    + "|"
    r"\b(?:get|give|find|want|need|request|requesting) (?:me )?(?:a |an |the |your |to )?"
    r"(?:real |live |actual )?(?:human|person|agent|representative|manager|supervisor|operator)\b|"
    r"\b(?:real person|real human|live agent|live person|live chat agent|human agent|"
    r"actual human|actual person|human being|representative|customer service rep)\b|"
    r"\b(?:human|agent|operator|representative|person) please\b|"
    r"\b(?:not|no|stop|enough with|no more) (?:a |the |this |your )?(?:bot|robot|ai|chatbot|"
    r"automated)\b|"
    r"\b(?:don't|do not) want (?:a |the |this |your |to talk to a |to chat with a )?"
    r"(?:bot|robot|ai|chatbot)\b|"
    r"\b(?:is there|are there) (?:a |an |any )?(?:real |live |actual )?(?:human|person|agent|"
    r"representative|humans|people working)\b|"
    r"^(?:human|agent|representative|operator|real person)[!.? ]*$|"
    r"\b(?:file|make|lodge|raise) a (?:formal )?complaint\b|\bcomplaints department\b"
)
_ASK_RE = re.compile(f"(?:{_ZH_ASK})|(?:{_EN_ASK})")

# "Are you a bot?" is a question about the agent, not a request; removed before matching.
_IDENTITY_QUESTION = re.compile(
    r"(?:你|您|这|这边|对面)?(?:是|是不是)(?:真人|机器人|ai|人工|人工客服|真的人|活人|自动回复)"
    r"(?:吗|嘛|么|呀|啊)?|"
    r"\b(?:are you|is this|is that|am i (?:talking|chatting|speaking) (?:to|with)|"
    r"is it)(?: a| an| the)? (?:real |actual )?(?:human|person|bot|robot|ai|machine|"
    r"real person|live agent|agent)\b\??"
)
# "不用转人工" / "no need for a human": declining a person.
_DECLINE = re.compile(
    r"(?:不用|不需要|不必|无需|没必要|别|不要)(?:再)?(?:帮我)?(?:转|找|叫|要)?(?:人工|真人|客服)|"
    r"\b(?:no need|don't need|do not need|not asking|no thanks)(?: for| to)?(?: talk to| speak to)?"
    r"(?: a| an)? (?:human|person|agent|representative)\b"
)


def asks_for_human(text: str) -> bool:
    """True when the customer asks for a person (or a formal complaint), in zh or en."""
    folded = normalize(text)
    folded = _DECLINE.sub(" ", folded)
    folded = _IDENTITY_QUESTION.sub(" ", folded)
    return bool(_ASK_RE.search(folded.strip()))


# --------------------------------------------------------------------------- sentiment rules


@dataclass(frozen=True, slots=True)
class EscalationPolicy:
    """``negative_streak`` consecutive negative messages, or one message scoring at or below
    ``strong_negative_score`` (tagger scale, see ``tagger.SCORE_SCALE``: -0.75 is reached by
    about a fifth of complaints, e.g. threats, 😡/!!! or several failures at once), hand the
    conversation to a person."""

    negative_streak: int = 2
    strong_negative_score: float = -0.75

    def __post_init__(self) -> None:
        if self.negative_streak < 1:
            raise ValueError("negative_streak must be at least 1")
        if not -1.0 <= self.strong_negative_score < 0.0:
            raise ValueError("strong_negative_score must be in [-1, 0)")


def escalation_reason(
    *,
    text: str,
    recent_labels_scores: Sequence[tuple[Label, float]],
    policy: EscalationPolicy | None = None,
) -> Reason | None:
    """Why to escalate now, or None.

    ``recent_labels_scores`` is (label, score) per customer message, oldest first, *including*
    the current one as the last item (the caller tags it with ``tagger.tag``)."""
    policy = policy or EscalationPolicy()
    if asks_for_human(text):
        return "asked_for_human"
    if not recent_labels_scores:
        return None
    _, current_score = recent_labels_scores[-1]
    if current_score <= policy.strong_negative_score:
        return "strong_negative"
    window = recent_labels_scores[-policy.negative_streak :]
    if len(window) == policy.negative_streak and all(lb == "negative" for lb, _ in window):
        return "negative_streak"
    return None
