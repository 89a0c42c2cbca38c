"""A hostile long word costs the speller nothing: no known word is within two edits of it.

Before the bound, one 2,000-letter word took 13 s and 4 GB in ``faq_match``. The check runs
in a child process capped at 1 GiB of address space, so a regression fails loudly
instead of passing slowly.
"""

from __future__ import annotations

import subprocess
import sys

from apps.faq.spelling import Speller

CHILD = """
import resource, sys
from apps.faq.spelling import Speller
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
speller = Speller(["shipping", "warranty", "delivery"])
word = "".join(chr(97 + (i * 7919) % 26) for i in range(2000))  # its deletes all differ
assert speller.correct(word) == word
assert speller.correct("shiping") == "shipping"
print("ok")
"""


def test_a_very_long_word_is_returned_as_typed_within_a_memory_cap():
    result = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"


def test_words_near_the_longest_known_word_are_still_corrected():
    speller = Speller(["internationally"])
    assert speller.correct("internationallly") == "internationally"
