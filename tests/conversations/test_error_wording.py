"""Errors a customer can meet (too fast, too long, briefly unavailable) are worded for them,
in their conversation's language; malformed frames keep the protocol's plain detail."""

from __future__ import annotations

from apps.config.languages import has_han
from apps.conversations.notices import error_detail

CUSTOMER_ERRORS = [
    "rate_limited",
    "text_too_long",
    "unavailable",
    "server_error",
    "comment_too_long",
    "csat_already_given",
    "csat_not_requested",
]


def test_customer_errors_are_worded_in_the_conversation_language():
    for code in CUSTOMER_ERRORS:
        english = error_detail(code, "en", fallback="raw", cap=2000)
        chinese = error_detail(code, "zh", fallback="raw", cap=2000)
        assert english != "raw" and not has_han(english)
        assert has_han(chinese) and chinese != english
    assert "2000" in error_detail("text_too_long", "zh", fallback="raw", cap=2000)
    # A comment's cap is its own (CSAT_COMMENT_MAX_CHARS), not the message's.
    assert "500" in error_detail("comment_too_long", "zh", fallback="raw", cap=2000)


def test_integrator_errors_keep_their_plain_detail():
    assert error_detail("invalid_json", "zh", fallback="the frame is not valid JSON", cap=1) == (
        "the frame is not valid JSON"
    )
