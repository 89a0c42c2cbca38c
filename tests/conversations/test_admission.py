"""Admission decisions (plain functions) and the line's mirror in the real test Redis."""

from __future__ import annotations

import pytest

from apps.conversations.admission import (
    RATE_WINDOW_S,
    Finished,
    Line,
    admission_for,
    line_ahead_of,
    line_join,
    line_leave,
    line_now,
    line_reconcile,
    rate_from,
    start_from,
)
from apps.ops.flags import Flags

FLAGS = Flags(ttft_deadline_ms=3000, surge_queue_depth=16)


def test_the_rate_counts_the_replies_finished_lately_up_to_now():
    now = 1000.0
    assert rate_from([now - 0.5, now - 0.4, now - 0.2, now - 0.1], now) == 4.0  # over 1 s
    assert rate_from([now - 4, now - 3, now - 2], now) == pytest.approx(3 / 4)
    # Workers that went silent read slower the longer they stay so...
    assert rate_from([now - 9, now - 8.9, now - 8.8], now) == pytest.approx(3 / 9)
    # ...and say nothing once their last replies leave the window.
    assert rate_from([now - RATE_WINDOW_S - 1] * 10, now) is None
    assert rate_from([now - 1, now - 2], now) is None  # too few to measure


def test_how_soon_a_taken_reply_starts_is_what_nine_in_ten_lately_stayed_within():
    now = 1000.0
    starts = [0.1, 0.2, 0.2, 0.3, 0.3, 0.3, 0.4, 0.4, 0.5, 2.0]
    finished = [Finished(now - 1, start) for start in starts]
    assert start_from(finished, now) == 0.5  # the one slow start is the tenth
    # Replies that streamed no text, and replies older than the window, say nothing.
    assert start_from([Finished(now - 1, None)] * 5, now) is None
    assert start_from([Finished(now - RATE_WINDOW_S - 1, 0.2)] * 5, now) is None
    assert [Finished.decoded(f.encoded().encode()) for f in finished[:2]] == finished[:2]
    assert Finished.decoded(b"1000.5") == Finished(1000.5, None)


def test_a_model_slow_to_start_is_announced_even_with_no_line(settings):
    settings.QUEUE_NOTICE_WAIT_S = 0.5
    slow = admission_for(Line(depth=0, rate=4.0, start_s=1.2), FLAGS)
    assert slow.notify is not None and (slow.notify.place, slow.notify.wait_s) == (1, 2)
    brisk = admission_for(Line(depth=0, rate=4.0, start_s=0.25), FLAGS)
    assert brisk.notify is None
    # The estimate counts the start too: 5 ahead at 4/s, then 1.2 s to the first token.
    assert Line(depth=5, rate=4.0, start_s=1.2).wait_s(5) == pytest.approx(2.45)


def test_a_short_line_goes_to_the_workers_unannounced():
    decided = admission_for(Line(depth=1, rate=4.0), FLAGS)
    assert (decided.shortcut, decided.notify) == (False, None)


def test_a_noticeable_wait_is_told_at_once_with_its_place_and_estimate(settings):
    settings.QUEUE_NOTICE_WAIT_S = 0.5
    decided = admission_for(Line(depth=5, rate=4.0), FLAGS)  # 1.25 s
    assert not decided.shortcut
    assert decided.notify is not None
    assert (decided.notify.place, decided.notify.wait_s) == (6, 2)  # rounded up


def test_a_wait_past_the_first_token_deadline_tries_the_faq_first():
    decided = admission_for(Line(depth=13, rate=4.0), FLAGS)  # 3.25 s > 3 s
    assert decided.shortcut and decided.notify is not None


def test_before_the_rate_is_measured_the_line_length_decides(settings):
    settings.QUEUE_NOTICE_AT = 8
    quiet = admission_for(Line(depth=2, rate=None), FLAGS)
    assert (quiet.shortcut, quiet.notify) == (False, None)  # no notice for a blip
    busy = admission_for(Line(depth=16, rate=None), FLAGS)
    assert busy.shortcut
    assert busy.notify is not None and (busy.notify.place, busy.notify.wait_s) == (17, None)


def test_admission_control_off_sends_everything_to_the_workers_unannounced():
    off = Flags(ttft_deadline_ms=3000, surge_queue_depth=16, admission_control=False)
    decided = admission_for(Line(depth=500, rate=1.0), off)
    assert (decided.shortcut, decided.notify) == (False, None)


def test_the_mirror_keeps_join_order_and_is_reconciled_from_postgres(line):
    for reply_id in (30, 10, 20):
        line_join(reply_id)
    line_join(30)  # a duplicate task keeps the first place
    assert [line_ahead_of(r) for r in (30, 10, 20)] == [0, 1, 2]
    line_leave(10)
    assert line_now().depth == 2 and line_ahead_of(10) is None
    # Postgres says 20 and 40 wait (30 was taken by a worker that never said so).
    assert line_reconcile({20, 40}) == 2
    assert line_now().depth == 2
    assert (line_ahead_of(20), line_ahead_of(40), line_ahead_of(30)) == (0, 1, None)
