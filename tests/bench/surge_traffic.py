"""What the customers of `make bench-surge` ask, and when they arrive.

The pool is bilingual (zh and en) and holds three sorts of question:

- ``faq``: the shipped demo catalog's own questions and the shared demo questions
  (``tests/demo_questions.py``), some with a greeting in front, as customers write them;
- ``off_catalog``: generic shop questions the catalog does not cover, built from templates;
- ``complaint``: long complaints (several hundred characters) built from stock sentences.

About 30% of a burst repeats, word for word, what an earlier customer of the same burst
asked (``repeat``), so the answer cache can help there and only there. Nothing here is
written to match any evaluation sentence.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace

from apps.config.languages import detect_language
from apps.faq import DEMO_CATALOG
from tests.bench.faq import load_catalog
from tests.demo_questions import DEMO_QUESTIONS

LANGUAGES = ("en", "zh")
REPEAT_SHARE = 0.3
# Of the fresh questions: this share the catalog answers, this share are long complaints,
# and the rest are off-catalog.
FAQ_SHARE = 0.5
COMPLAINT_SHARE = 0.1
COMPLAINT_MIN_CHARS = 300

GREETINGS = {
    "en": ("", "", "Hi, ", "Hello! ", "Quick question: ", "Good morning, "),
    "zh": ("", "", "你好，", "您好，", "请问", "麻烦问一下，"),
}

OFF_CATALOG_TEMPLATES = {
    "en": (
        "Do you sell the {product} in {colour}?",
        "What is the {product} made of?",
        "Will the {product} fit in a carry-on suitcase?",
        "Is the {product} a good choice for {person}?",
        "Where is the {product} designed?",
        "How heavy is the {product}?",
    ),
    "zh": (
        "{product}有{colour}的吗？",
        "{product}是什么材质做的？",
        "{product}能放进登机箱吗？",
        "{product}适合{person}用吗？",
        "{product}是在哪里设计的？",
        "{product}大概多重？",
    ),
}
OFF_CATALOG_WORDS = {
    "en": {
        "product": ("linen shirt", "wool scarf", "canvas tote bag", "rain jacket", "ceramic mug",
                    "desk lamp", "yoga mat", "leather wallet", "silk pillowcase", "hiking socks",
                    "bamboo cutting board", "travel backpack"),
        "colour": ("navy", "olive", "burgundy", "sand", "charcoal", "mustard yellow"),
        "person": ("my grandmother", "a teenager", "a coworker", "a new dad"),
    },
    "zh": {
        "product": ("亚麻衬衫", "羊毛围巾", "帆布托特包", "雨衣", "陶瓷马克杯", "台灯", "瑜伽垫",
                    "真皮钱包", "真丝枕套", "登山袜", "竹砧板", "旅行背包"),
        "colour": ("藏青色", "橄榄绿", "酒红色", "沙色", "炭灰色", "芥末黄"),
        "person": ("家里长辈", "高中生", "同事", "新手爸爸"),
    },
}  # fmt: skip

COMPLAINT_PARTS = {
    "en": {
        "open": ("I am really disappointed with your shop.",
                 "This is the third time I am writing to you about the same problem.",
                 "Honestly, I expected much better from you after all the good reviews."),
        "middle": ("The parcel arrived two weeks late and the box was crushed on one side.",
                   "The jacket I received is a different colour from the photos and the zip "
                   "broke on the first day.",
                   "Nobody answered my emails for five days, and the hotline just plays music "
                   "until it hangs up.",
                   "I paid extra for express shipping and it still took longer than standard.",
                   "The size chart said a medium would fit, but it is so small I cannot close it.",
                   "When I asked for a return, the courier never came on the day you promised.",
                   "The mug had a crack inside and leaked coffee all over my desk.",
                   "I was charged twice at checkout and the second payment has not come back."),
        "close": ("I want a clear answer today about what you are going to do.",
                  "Tell me how you will fix this, because I am close to leaving a bad review.",
                  "I would like a person to call me back instead of another automatic reply."),
    },
    "zh": {
        "open": ("我对你们店真的太失望了，简直不知道该说什么好。",
                 "这已经是我第三次为同一个问题联系你们了，到现在还没有解决。",
                 "说实话，看了那么多好评，我本来对你们的期望挺高的。"),
        "middle": ("包裹晚了整整两个星期才送到，外箱有一角被压扁了，里面的东西也有划痕。",
                   "收到的外套颜色和商品图片完全不一样，拉链第一天穿就坏了，根本没法再穿。",
                   "我连续发了五天邮件都没有人回复，打客服热线一直放音乐，最后还自动挂断。",
                   "我特意多付了钱选加急快递，结果比普通快递到得还要晚，这钱不是白花了吗？",
                   "按照你们的尺码表选了M码，实际收到小得连扣子都扣不上，完全不符合描述。",
                   "申请退货以后，你们说好那天上门取件，可是快递员根本就没有来，也没人通知我。",
                   "杯子内壁有一道裂缝，第一天早上倒咖啡就漏了一桌子，还弄脏了我的文件。",
                   "结账的时候被扣了两次钱，第二笔到现在都没有退回来，客服也说不清楚原因。"),
        "close": ("今天必须给我一个明确的说法，告诉我你们到底打算怎么处理。",
                  "请尽快告诉我怎么解决，不然我真的只能去给差评了。",
                  "我希望有真人直接打电话给我，而不是再发一条自动回复。"),
    },
}  # fmt: skip


@dataclass(frozen=True)
class Ask:
    text: str
    kind: str  # faq | off_catalog | complaint | repeat
    language: str


@dataclass(frozen=True)
class Burst:
    """One arm's traffic: what each customer asks and when, in seconds from the start."""

    load: float  # times the measured capacity
    rate: float  # arrivals per second
    asks: tuple[Ask, ...]
    offsets: tuple[float, ...]

    @property
    def duration_s(self) -> float:
        return len(self.asks) / self.rate

    def made_unique(self, tag: str) -> Burst:
        """The same traffic with every question worded once: a plain bot has no cache."""
        asks = tuple(replace(a, text=unique(a.text, f"{tag}-{n}")) for n, a in enumerate(self.asks))
        return replace(self, asks=asks)


def unique(text: str, tag: str) -> str:
    return f"{text} (ref {tag})"


class QuestionPool:
    """Fresh questions of each sort, drawn in a shuffled order that repeats only once spent."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._faq = {lang: self._shuffled_cycle(greeted(lang)) for lang in LANGUAGES}
        self._off = {lang: self._shuffled_cycle(off_catalog(lang)) for lang in LANGUAGES}

    def fresh(self) -> Ask:
        language = self.rng.choice(LANGUAGES)
        draw = self.rng.random()
        if draw < FAQ_SHARE:
            return Ask(next(self._faq[language]), "faq", language)
        if draw < FAQ_SHARE + COMPLAINT_SHARE:
            return Ask(self.complaint(language), "complaint", language)
        return Ask(next(self._off[language]), "off_catalog", language)

    def off_catalog_unique(self, tag: str) -> Iterator[str]:
        """Questions the FAQ cannot answer, each worded once, alternating languages."""
        for n in itertools.count():
            yield unique(next(self._off[LANGUAGES[n % 2]]), f"{tag}-{n}")

    def complaint(self, language: str) -> str:
        parts = COMPLAINT_PARTS[language]
        middles = self.rng.sample(parts["middle"], len(parts["middle"]))
        sentences = [self.rng.choice(parts["open"])]
        while middles and len(_joined(sentences, language)) < COMPLAINT_MIN_CHARS:
            sentences.append(middles.pop())
        sentences.append(self.rng.choice(parts["close"]))
        return _joined(sentences, language)

    def _shuffled_cycle(self, items: list[str]) -> Iterator[str]:
        return itertools.cycle(self.rng.sample(items, len(items)))


def make_burst(
    pool: QuestionPool, *, load: float, rate: float, count: int, even: bool = False
) -> Burst:
    asks = burst_asks(pool, count)
    return Burst(load, rate, tuple(asks), tuple(arrival_offsets(pool.rng, count, rate, even)))


def burst_asks(pool: QuestionPool, count: int) -> list[Ask]:
    asks: list[Ask] = []
    for _ in range(count):
        if asks and pool.rng.random() < REPEAT_SHARE:
            first = pool.rng.choice([a for a in asks if a.kind != "repeat"])
            asks.append(replace(first, kind="repeat"))
        else:
            asks.append(pool.fresh())
    return asks


def arrival_offsets(rng: random.Random, count: int, rate: float, even: bool) -> list[float]:
    duration = count / rate
    if even:
        return [n * duration / count for n in range(count)]
    # A Poisson process that brings ``count`` arrivals brings them at uniform times.
    return sorted(rng.uniform(0, duration) for _ in range(count))


def catalog_questions(language: str) -> list[str]:
    questions = [doc.question for doc in load_catalog(DEMO_CATALOG) if doc.language == language]
    questions += [q for q in DEMO_QUESTIONS if detect_language(q) == language]
    return sorted(set(questions))


def greeted(language: str) -> list[str]:
    """Each catalog question as customers open it: bare, or after a greeting."""
    return sorted({_greet(g, q) for g in GREETINGS[language] for q in catalog_questions(language)})


def off_catalog(language: str) -> list[str]:
    words = OFF_CATALOG_WORDS[language]
    fills = list(itertools.product(words["product"], words["colour"], words["person"]))
    questions = {
        template.format(product=p, colour=c, person=who)
        for template in OFF_CATALOG_TEMPLATES[language]
        for p, c, who in fills
    }
    return sorted(questions)


def _greet(greeting: str, question: str) -> str:
    if greeting and greeting.isascii() and not question.startswith("I "):
        question = question[0].lower() + question[1:]
    return greeting + question


def _joined(sentences: list[str], language: str) -> str:
    return ("" if language == "zh" else " ").join(sentences)
