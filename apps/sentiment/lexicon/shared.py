"""Language-independent cue data: emoji, typo fixes, traditional→simplified characters."""

from __future__ import annotations


def terms(weight: float, spec: str) -> dict[str, float]:
    """``terms(-0.8, "垃圾|差劲")`` → ``{"垃圾": -0.8, "差劲": -0.8}``; keeps the data readable."""
    return {t.strip(): weight for t in spec.split("|") if t.strip()}


def words(spec: str) -> frozenset[str]:
    """``words("如果|万一")`` → ``frozenset({"如果", "万一"})``: weight-less cue lists."""
    return frozenset(t.strip() for t in spec.split("|") if t.strip())


# Emoji are matched after NFKC normalisation, with the variation selector (U+FE0F) stripped.
EMOJI: dict[str, float] = {
    **terms(-0.9, "😡|🤬|😠|👿|🖕"),
    **terms(-0.6, "😤|😒|😩|😫|😭|😞|😔|💔|👎|🤦|😾|😖|😣|🤮|💩"),
    **terms(-0.3, "😢|😟|😕|🙁|☹|😥|😓|😑|😐"),
    **terms(0.8, "😍|🥰|❤|💕|💖|💯|🤩|😘|💗|💓|♥"),
    **terms(0.6, "👍|👏|😊|😁|😄|😃|🎉|🥳|👌|💪|🌹|🫶|😋|✨|⭐|🌟"),
    **terms(0.3, "🙂|☺|😀|😆|🙏|🤗"),
}

# Eye-roll and upside-down face are the emoji most used for sarcasm in shop chat.
SARCASM_EMOJI: dict[str, float] = {"🙄": -0.6, "🙃": -0.3}

# Common English misspellings and chat shorthand, applied word-by-word before matching.
TYPOS: dict[str, str] = {
    "recieve": "receive",
    "recieved": "received",
    "recived": "received",
    "receieved": "received",
    "pakage": "package",
    "packege": "package",
    "pacakge": "package",
    "delivary": "delivery",
    "dilevery": "delivery",
    "delievery": "delivery",
    "refun": "refund",
    "refnd": "refund",
    "dissapointed": "disappointed",
    "disapointed": "disappointed",
    "dissappointed": "disappointed",
    "disappionted": "disappointed",
    "terible": "terrible",
    "terrable": "terrible",
    "horible": "horrible",
    "horrable": "horrible",
    "awfull": "awful",
    "awsome": "awesome",
    "awesom": "awesome",
    "amazin": "amazing",
    "beautifull": "beautiful",
    "definately": "definitely",
    "defintely": "definitely",
    "ridiculus": "ridiculous",
    "rediculous": "ridiculous",
    "unacceptible": "unacceptable",
    "frustated": "frustrated",
    "frustating": "frustrating",
    "brocken": "broken",
    "damged": "damaged",
    "damanged": "damaged",
    "shiped": "shipped",
    "arived": "arrived",
    "arrvied": "arrived",
    "reciept": "receipt",
    "gud": "good",
    "gr8": "great",
    "thx": "thanks",
    "thnx": "thanks",
    "thanx": "thanks",
    "thankyou": "thank you",
    "ty": "thank you",
    "tysm": "thank you so much",
    "tq": "thank you",
    "pls": "please",
    "plz": "please",
    "u": "you",
    "ur": "your",
    "r": "are",
    "im": "i'm",
    "ive": "i've",
    "dont": "don't",
    "doesnt": "doesn't",
    "didnt": "didn't",
    "isnt": "isn't",
    "wasnt": "wasn't",
    "arent": "aren't",
    "werent": "weren't",
    "hasnt": "hasn't",
    "havent": "haven't",
    "hadnt": "hadn't",
    "cant": "can't",
    "couldnt": "couldn't",
    "wont": "won't",
    "wouldnt": "wouldn't",
    "shouldnt": "shouldn't",
    "whats": "what's",
    "wheres": "where's",
    "thats": "that's",
    "its": "it's",
    "wtf": "wtf",
}

# Traditional characters that occur in the cue lexicon, folded to simplified so that
# 還沒發貨 / 質量太差 / 謝謝 hit the same cues. Not a general converter: only what we match on.
HANT_TO_HANS: dict[str, str] = dict(
    zip(
        "還沒發貨質謝無語壞爛騙態應錯買賣價麼嗎個這們說話點讚滿歡問題決處級專業給來時間會為裡"
        "後與樣對電號單訂運費務讓氣聲紅藍綠碼換損舊驗優愛帶錢賠償訴網頁難煩亂誤遲種顏圖實際認譜"
        "極嚴頭萬經邊覺辦結絕總歸當標準傳遞聯繫係員師寶貝啥麼麻質垃圾慢頂棒讓態擺設機器體驗並廢"
        "蹟跡銷費顧誠懇務厲強釋補償幫忙們請問們撥選護膚盤訊息條碼裝檢測貼寫過連線節約數據歷紀錄"
        "麵飯鮮臭壓碎轉銀購淘寬鬆緊長闆塊廠牌還遞遠驚喜靈敏聽導彈無聊糾紛賬帳戶號",
        "还没发货质谢无语坏烂骗态应错买卖价么吗个这们说话点赞满欢问题决处级专业给来时间会为里"
        "后与样对电号单订运费务让气声红蓝绿码换损旧验优爱带钱赔偿诉网页难烦乱误迟种颜图实际认谱"
        "极严头万经边觉办结绝总归当标准传递联系系员师宝贝啥么麻质垃圾慢顶棒让态摆设机器体验并废"
        "迹迹销费顾诚恳务厉强释补偿帮忙们请问们拨选护肤盘讯息条码装检测贴写过连线节约数据历纪录"
        "面饭鲜臭压碎转银购淘宽松紧长板块厂牌还递远惊喜灵敏听导弹无聊纠纷账帐户号",
        strict=True,
    )
)
