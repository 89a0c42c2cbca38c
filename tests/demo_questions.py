"""Customer questions the demo catalog covers, in both languages, shared by tests."""

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
