"""Customer questions the demo catalog covers, in both languages, shared by tests."""

import uuid

DEMO_QUESTIONS = [
    "How long does delivery take?",
    "退款多久能到账？",
    "Can I return shoes?",
    "你们支持哪些付款方式？",
    "What are your customer service hours?",
    "发票怎么开？",
    "Is shipping free?",
    "可以修改收货地址吗？",
]

# Questions the demo catalog has no answer for: they need a model.
OFF_CATALOG = "Tell me a story about your warehouse cat"


def unique_tag() -> str:
    """Letters only, new each call: makes a question unasked before (no cached answer).
    A run of digits would read as an order number, which is never cached."""
    return "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:8])
