"""Every customer notice and the apology are in the catalog for both languages."""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from apps.conversations import notices
from apps.inference.canned import apology
from apps.ops.hours import BusinessHours

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "locale"
PROTOCOL = ROOT / "apps" / "conversations" / "PROTOCOL.md"
HAN = re.compile(r"[\u3400-\u9fff]")
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_NOON = datetime(2025, 1, 6, 12, 0, tzinfo=SHANGHAI)
SATURDAY_NIGHT = datetime(2025, 1, 11, 23, 0, tzinfo=SHANGHAI)
OVERNIGHT_WEEKDAYS = BusinessHours(open="22:00", close="06:00", days=(0, 1, 2, 4))

Render = Callable[[str], str]
TEXTS: dict[str, list[Render]] = {
    "queued": [
        lambda lang: notices.queued(lang, place=9, wait_s=None),
        lambda lang: notices.queued(lang, place=9, wait_s=4),
        lambda lang: notices.queued(lang, place=90, wait_s=61),
    ],
    "handoff": [
        lambda lang: notices.handoff_notice(MONDAY_NOON, BusinessHours(), lang),
        lambda lang: notices.handoff_notice(SATURDAY_NIGHT, BusinessHours(), lang),
        lambda lang: notices.handoff_notice(MONDAY_NOON, OVERNIGHT_WEEKDAYS, lang),
    ],
    "agent_joined": [lambda lang: notices.agent_joined(lang, agent="Alice")],
    "handed_back": [notices.handed_back],
    "closed": [notices.closed],
    "apology": [apology],
    "csat": [notices.csat_request, notices.csat_thanks],
}


def documented_notice_kinds() -> set[str]:
    row = next(line for line in PROTOCOL.read_text().splitlines() if line.startswith("| `notice`"))
    kinds = row.split("worded for them:")[1].split(". Render")[0]
    return set(re.findall(r"`(\w+)`", kinds))


def catalog_mo(language: str) -> Path:
    mo = LOCALE / language / "LC_MESSAGES" / "django.mo"
    assert mo.exists(), f"{mo} is missing: run `make messages`"
    return mo


def test_it_has_a_text_for_every_documented_notice_kind():
    assert documented_notice_kinds() <= set(TEXTS)


@pytest.mark.parametrize(
    "render", [r for renders in TEXTS.values() for r in renders], ids=lambda r: r.__qualname__
)
def test_it_renders_each_text_in_chinese_and_english(render: Render):
    catalog_mo("zh_Hans")
    zh, en = render("zh"), render("en")
    assert HAN.search(zh), zh
    assert not HAN.search(en), en
    assert zh != en


def test_it_speaks_english_before_the_language_is_known():
    assert notices.closed("") == notices.closed("en")
    assert apology("fr") == apology("en")


def test_it_translates_every_entry_of_the_chinese_catalog():
    source = (LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = source.count('\nmsgid "') - 1  # the header is an entry with an empty msgid
    with catalog_mo("zh_Hans").open("rb") as mo:
        translated = len(gettext.GNUTranslations(mo)._catalog) - 1  # untranslated are left out
    assert translated == entries
