"""The FAQ commands' progress bars: on stderr, since stdout carries each command's report."""

from __future__ import annotations

import sys

from tqdm import tqdm


def entries_bar(total: int, desc: str, *, hidden: bool) -> tqdm:
    return tqdm(total=total, desc=desc, unit=" entries", file=sys.stderr, disable=hidden)
