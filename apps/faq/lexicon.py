"""Bilingual shop-domain lexicon: surface terms in Chinese and English mapped to shared concepts.

Retrieval turns both questions and catalog entries into concept ids, so "invoice", "receipt" and
"发票" all meet at ``invoice``. That is what lets an English question find a Chinese-only entry.
The lexicon describes the *domain* (what shoppers ask about), not the demo catalog: add
synonyms freely, and keep one concept per idea a customer might ask about.

Format: ``CONCEPTS[name] = "term | term | ..."``. A term with Han characters is matched as a
substring of Chinese text (longest match wins); any other term is an English word or phrase,
matched on stemmed words. A term may belong to several concepts (运费 is both shipping and fee).
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


CONCEPTS: dict[str, str] = {
    # --- shipping and delivery ---
    "ship": (
        "ship | shipping | postage | shipping fee | shipping cost | delivery fee | 运费 | 邮费"
        " | 快递费 | shipment | shipments | deliver | delivery | deliveries | dispatch | courier"
        " | carrier | get it delivered | send out | sent out | 发货 | 配送 | 送货 | 寄 | 邮寄"
        " | 快递 | 发出 | 出库 | 送达 | 送到 | 派送 | 运送 | 寄到 | 发过来 | 寄过来 | 发件 | 运输"
        " | 发 | 邮 | 发不发 | 能发"
    ),
    "arrive": (
        "arrive | arrival | get here | reach me | come | came | coming | expect | receive"
        " | recieve | land | show up | 收到 | 到货 | 到达 | 送到 | 到手 | 能到 | 收货 | 签收"
        " | 寄到 | 到了 | 才到"
    ),
    "time": (
        "how long | how many days | how soon | how quickly | how quick | how fast | when"
        " | how many business days | eta | timeframe | time frame | time | date | dates | 日期"
        " | 多久 | 几天 | 多长时间 | 多少天 | 时效 | 多快 | 什么时候 | 何时 | 啥时候 | 多长"
        " | 多久能 | 要多久 | 几个工作日 | 工作日 | 两天 | 三天"
    ),
    "fee": (
        "fee | fees | cost | costs | charge | charges | how much | price of shipping | postage"
        " | shipping fee | shipping cost | shipping charge | delivery fee | delivery cost"
        " | delivery charge | shipping price | s h | 运费 | 邮费 | 快递费 | 配送费 | 运费险 | 费用"
        " | 多少钱 | 收费 | 收多少 | 要钱 | 钱 | 费"
    ),
    "free": (
        "free | for free | no charge | free of charge | 免费 | 包邮 | 免运费 | 免邮 | 不要钱"
        " | 白送 | free shipping | free delivery"
    ),
    "minimum": (
        "minimum | min | threshold | over | above | at least | spend | 满 | 满多少 | 起送 | 门槛"
    ),
    "track": (
        "track | tracking | trace | status | whereabout | whereabouts | where is | logistics"
        " | tracking number | tracking code | waybill | follow | locate | where my | 物流 | 跟踪"
        " | 追踪 | 到哪 | 到哪了 | 到哪里 | 在哪 | 单号 | 快递单号 | 运单 | 运单号 | 查快递"
        " | 查物流 | 查件 | 物流信息 | 进度 | 在哪里 | 什么地方 | 查 | 查询 | 查看"
    ),
    "area": (
        "country | countries | region | regions | area | areas | international"
        " | internationally | overseas | abroad | worldwide | global | globally | foreign"
        " | outside china | hong kong | hk | macau | macao | singapore | malaysia | taiwan | japan"
        " | korea | usa | america | united states | uk | england | canada | australia | europe"
        " | thailand | vietnam | philippines | indonesia | india | germany | france | mainland"
        " | mainland china | china | 地区 | 国家 | 海外 | 国外 | 境外 | 国际 | 哪些地方 | 哪些地区"
        " | 哪里 | 偏远 | 配送范围 | 范围 | 香港 | 澳门 | 新加坡 | 马来西亚 | 台湾 | 日本 | 韩国"
        " | 美国 | 英国 | 加拿大 | 澳洲 | 澳大利亚 | 欧洲 | 泰国 | 越南 | 新疆 | 西藏 | 大陆"
        " | 中国大陆 | 港澳 | 内地"
    ),
    "express": (
        "express | expedite | expedited | next day | next-day | overnight | tomorrow | fast"
        " | faster | fastest | quicker | rush | urgent | urgently | asap | priority | sf"
        " | sf express | shunfeng | same day | 1 day | one day | speed up | hurry | 顺丰 | 次日达"
        " | 次日 | 隔天 | 第二天 | 明天 | 加急 | 急 | 急用 | 快点 | 快一点 | 尽快 | 特快 | 加快"
        " | 当日达 | 急件 | 快些 | 紧急"
    ),
    "city": "city | cities | major city | 城市 | 大城市 | 主要城市",
    "lost": (
        "lost | lose | losing | missing | never arrived | never came | never got | not arrive"
        " | not come | not receive | not get | stuck | not update | no update | not move"
        " | not moving | no movement | disappeared | vanished | gone | 丢 | 丢了 | 丢件 | 丢失"
        " | 没收到 | 还没到 | 不更新 | 没更新 | 没有更新 | 没动静 | 不动 | 卡住 | 停了 | 一直没"
        " | 没到 | 没有到 | 找不到 | 更新 | 没动 | 不动了 | 没动静了"
    ),
    "long_wait": (
        "long time | for days | for weeks | weeks | two weeks | a week | one week | 10 days"
        " | ages | forever | days | still | 很久 | 好久 | 好多天 | 一直 | 很多天 | 超过 | 好几天"
        " | 半个月 | 多天 | 十天"
    ),
    # --- returns, refunds, exchanges ---
    "return": (
        "return | returns | returning | send back | send it back | sent back | sent it back"
        " | give back | take back | 退货 | 退回 | 寄回 | 寄回去 | 退回去 | 退掉 | 退换 | 退"
        " | 退换货 | 退件 | 七天无理由"
    ),
    "no_reason": (
        "no reason | any reason | without reason | not like | dislike | not want | not fit"
        " | no questions asked | not satisfied | unsatisfied | 无理由 | 不喜欢 | 不想要 | 不合适"
        " | 七天无理由 | 不满意"
    ),
    "period": (
        "period | deadline | window | time limit | within | how many days | 7 days | seven days"
        " | 期限 | 多少天内 | 几天内 | 时限 | 七天 | 7天 | 期 | 天内 | 七天内 | 7天内 | 七天无理由"
    ),
    "policy": "policy | policies | rule | rules | terms | 政策 | 规则 | 规定 | 流程",
    "refund": (
        "refund | refunds | refunded | money back | money | my money | reimburse"
        " | reimbursement | get my money | credited | credit back | payback | pay back"
        " | hit my account | reach my account | 退款 | 退钱 | 钱退 | 返还 | 到账 | 能到账 | 退的钱"
        " | 退回来 | 返款 | 退费 | 钱回来 | 原路"
    ),
    "exchange": (
        "exchange | exchanges | swap | switch | change size | different size | another size"
        " | bigger size | smaller size | size up | size down | want smaller | want bigger"
        " | smaller one | bigger one | larger one | 换 | 换货 | 调换 | 换码 | 换尺码 | 换大 | 换小"
        " | 换个 | 换一个 | 更换"
    ),
    "size": (
        "size | sizes | sizing | fit | fits | fitting | too small | too big | too large"
        " | too tight | too loose | bigger | smaller | larger | tight | runs small | runs big"
        " | loose | xs | xl | xxl | cm | kg | size chart | size guide | want smaller | want bigger"
        " | height | weigh | tall | measurement | measurements | 尺码 | 尺寸 | 尺码表 | 尺寸表"
        " | 码 | 码数 | 大小 | 偏大 | 偏小 | 合身 | 穿多大 | 多大 | 身高 | 体重 | 斤 | 大一号"
        " | 小一号 | 大号 | 小号 | 大了 | 小了 | 紧 | 松 | 尺"
    ),
    "choose": (
        "choose | pick | select | which size | what size | recommend | should i get"
        " | should i buy | 选 | 挑 | 怎么选 | 选哪个 | 推荐 | 建议 | 合适"
    ),
    "chart": "chart | table | guide | size chart | size guide | 尺码表 | 尺寸表 | 表 | 对照",
    "price_drop": (
        "price drop | price dropped | prices dropped | price went down | price fell | cheaper"
        " | price protection | price guarantee | price difference | difference | reduced | lowered"
        " | price cut | went on sale | marked down | price adjustment | 降价 | 差价 | 保价 | 价保"
        " | 便宜了 | 买贵了 | 补差价 | 退差价 | 价格保护 | 降了 | 贵了"
    ),
    "price": "price | prices | pricing | priced | 价格 | 价钱 | 价 | 售价",
    # --- coupons, promotions, discounts ---
    "coupon": (
        "coupon | coupons | voucher | vouchers | promo code | discount code | code | codes"
        " | 优惠券 | 优惠卷 | 优惠劵 | 券 | 卷 | 劵 | 红包 | 折扣码 | 优惠码 | 代金券 | 满减券"
        " | 抵用券"
    ),
    "stack": (
        "stack | stacked | stacking | combine | combined | combining | multiple | several"
        " | more than one | two | together | at once | at the same time | same order | 叠加 | 叠"
        " | 一起用 | 一起使用 | 同时 | 多张 | 两张 | 几张 | 合并 | 叠用 | 共用 | 一起"
    ),
    "presale": (
        "presale | pre sale | pre order | preorder | double 11 | double eleven | singles day"
        " | single day | 11 11 | black friday | cyber monday | 预售 | 双十一 | 双11 | 黑五"
        " | 黑色星期五 | 大促 | 双十二 | 双12"
    ),
    "deposit": (
        "deposit | deposits | down payment | final payment | balance payment"
        " | remaining balance | balance | 定金 | 订金 | 尾款 | 预付"
    ),
    "deduct": (
        "deduct | deduction | take off | off | worth | offset | redeem | redemption | convert"
        " | 抵 | 抵扣 | 抵用 | 抵钱 | 抵现 | 顶 | 兑换 | 折现"
    ),
    "discount": (
        "discount | discounts | deal | deals | offer | offers | promo | promotion | promotions"
        " | sale | special price | 优惠 | 折扣 | 打折 | 折 | 便宜 | 特价 | 减价 | 活动"
    ),
    "reward": (
        "reward | rewards | bonus | incentive | perk | perks | benefit | benefits | freebie"
        " | gift | gifts | 奖励 | 福利 | 好处 | 返 | 赠 | 赠送 | 奖 | 送 | 礼物"
    ),
    "student": (
        "student | students | uni | university | college | school | campus | 学生 | 大学生"
        " | 学生党 | 学生证 | 在校 | 学校"
    ),
    # --- payment ---
    "pay": (
        "pay | paying | payment | payments | paid | checkout | alipay | ali pay | wechat pay"
        " | wechat | weixin | visa | mastercard | master card | paypal | credit card | debit card"
        " | card | cards | bank card | unionpay | union pay | 付款 | 支付 | 付钱 | 刷 | 支付宝"
        " | 微信 | 微信支付 | 信用卡 | 银行卡 | 刷卡 | 银联 | 付 | 结账"
    ),
    "method": "method | methods | option | options | way | ways | 方式 | 方法 | 渠道 | 哪些 | 哪种",
    # Recognised so that they count as real content the catalog lacks (near misses).
    "apply": "apply | claim | request | 申请 | 办理 | 领 | 领取",
    "installment": "installment | installments | pay later | bnpl | 分期 | 花呗分期 | 分期付款",
    "cod": "cash on delivery | cod | 货到付款",
    "crypto": "bitcoin | crypto | cryptocurrency | btc | eth | 比特币 | 加密货币",
    "gift_card": "gift card | gift cards | giftcard | 礼品卡 | 购物卡",
    "store": (
        "physical store | shop in | retail store | brick and mortar | showroom | 实体店 | 门店"
        " | 线下店 | 专柜"
    ),
    "material": (
        "material | materials | fabric | cotton | polyester | wool | silk | leather | linen"
        " | 材质 | 面料 | 材料 | 成分 | 纯棉 | 棉 | 羊毛 | 真皮"
    ),
    "trade_in": "trade in | 以旧换新 | 旧换新",
    "weather": "weather | rain | 天气 | 下雨 | 气温",
    "bot": "robot | bot | chatbot | ai | artificial intelligence | 机器人 | 人工智能",
    "pickup": "pick up | pickup | collect in store | click and collect | 自提 | 到店取",
    # --- orders and account ---
    "order": (
        "order | orders | ordering | purchase | purchases | buy | bought | my orders | 订单"
        " | 下单 | 买 | 购买 | 单 | 下的单 | 拍 | 订购 | 买来 | 订 | package | packages | parcel"
        " | parcels | packet | box | stuff | 包裹 | 货 | 东西"
    ),
    "cancel": (
        "cancel | cancelled | canceled | cancellation | call off | not want | no longer want"
        " | changed my mind | change my mind | by mistake | mistakenly | accidentally | 取消"
        " | 撤销 | 撤单 | 撤回 | 不想要 | 不要了 | 退单 | 下错 | 拍错 | 买错 | 不买了"
    ),
    "address": (
        "address | addr | location | destination | where it ships | 地址 | 收货地址 | 收件地址"
        " | 收件人 | 送货地址"
    ),
    "modify": (
        "change | modify | update | edit | correct | fix | wrong | typo | mistake | amend | 改"
        " | 修改 | 更改 | 填错 | 写错 | 错了 | 变更 | 改一下 | 换 | 换一个"
    ),
    "account": "account | acct | profile | login details | 账号 | 账户 | 帐号 | 帐户",
    "password": "password | passwd | pw | pwd | passcode | pass word | 密码",
    "login": (
        "login | log in | sign in | signin | logon | log on | access | 登录 | 登陆 | 进不去 | 登入"
    ),
    "forgot": (
        "forgot | forget | forgotten | not remember | reset | recover | recovery | retrieve"
        " | lock out | locked out | 忘记 | 忘了 | 重置 | 找回 | 想不起 | 记不得 | 记不住 | 不记得"
    ),
    # --- problems and after-sales ---
    "damaged": (
        "damaged | damage | broken | broke | crushed | cracked | crack | smashed | shattered"
        " | torn | ripped | dented | defective | faulty | scratched | leaking | busted | dent"
        " | 破损 | 坏 | 坏了 | 损坏 | 碎 | 碎了 | 破 | 摔坏 | 压坏 | 压扁 | 烂 | 裂 | 瑕疵 | 划痕"
    ),
    "photo": (
        "photo | photos | picture | pictures | pic | pics | image | images | with photos | 照片"
        " | 拍照 | 图片 | 图 | 晒图 | 带图"
    ),
    "replace": (
        "replacement | replace | resend | reship | send another | new one | another one | 补发"
        " | 重发 | 换新 | 再发 | 重新发"
    ),
    "warranty": (
        "warranty | warranties | guarantee | guaranteed | repair | repairs | quality | covered"
        " | after sales | 保修 | 质保 | 保固 | 维修 | 修 | 质量 | 售后 | 保质"
    ),
    "shoes": "shoe | shoes | sneaker | sneakers | boot | boots | trainers | 鞋 | 鞋子 | 球鞋",
    "home": "home goods | homeware | household | furniture | 家居 | 家居用品 | 家具 | 家用",
    "product": "product | products | goods | item | items | 商品 | 产品 | 宝贝",
    "unworn": (
        "unworn | unused | not worn | never worn | brand new | new condition | with tags | tag"
        " | tags | label | 未穿着 | 未穿 | 没穿过 | 没穿 | 全新 | 吊牌 | 标签 | 未使用 | 没用过"
    ),
    # --- customer service ---
    "support": (
        "customer service | customer support | support | service | agent | agents | human"
        " | person | real person | staff | representative | rep | operator | cs | someone | anyone"
        " | anybody | 客服 | 人工 | 人工客服 | 真人 | 工作人员 | 有人"
    ),
    "hours": (
        "hours | hour | open | opening | close | closing | online | working hours"
        " | business hours | what time | at night | night | weekend | weekends | 24 7 | 几点"
        " | 上班 | 下班 | 营业 | 工作时间 | 在线 | 晚上 | 周末 | 时间段 | 点上班 | 点下班"
    ),
    # --- membership and points ---
    "member": "member | members | membership | vip | loyalty | club | 会员",
    "points": (
        "point | points | pts | reward points | loyalty points | credits | 积分 | 分数 | 积点"
    ),
    "earn": "earn | collect | accumulate | gain | 攒 | 赚 | 获得 | 得 | 积累 | 拿",
    "review": (
        "review | reviews | reviewing | rating | ratings | rate | feedback | comment | comments"
        " | testimonial | 评价 | 评论 | 好评 | 晒单 | 写评 | 追评 | 点评"
    ),
    "birthday": "birthday | bday | b day | birth day | 生日 | 过生日",
    "month": "month | 月 | 当月",
    # --- gifts and products ---
    "gift": "gift | gifts | present | presents | for a friend | 礼物 | 礼品 | 送人 | 送礼 | 送朋友",
    "wrap": (
        "wrap | wrapping | wrapped | gift box | giftbox | gift packaging | gift wrap"
        " | gift wrapping | 包装 | 礼盒 | 包一下 | 包好 | 打包"
    ),
    "wash": (
        "wash | washing | washed | washable | laundry | launder | clean | cleaning | dry clean"
        " | dryer | tumble dry | iron | ironing | machine wash | hand wash | care label"
        " | washing machine | washer | care instructions | care | 洗 | 清洗 | 水洗 | 机洗 | 手洗"
        " | 洗涤 | 干洗 | 洗衣机 | 熨 | 保养 | 洗标 | 护理"
    ),
    "clothes": (
        "clothes | clothing | garment | garments | shirt | shirts | t shirt | tshirt | sweater"
        " | jacket | dress | jeans | pants | hoodie | coat | 衣服 | 衣物 | 衣 | 裤子 | 外套 | 毛衣"
        " | 裙子 | 衬衫 | 恤"
    ),
    "temperature": "temperature | degree | degrees | hot water | cold water | 水温 | 温度 | 度",
    "bulk": (
        "bulk | wholesale | wholesaler | corporate | company | companies | business | b2b"
        " | enterprise | large order | big order | large quantity | quantity | in bulk | team"
        " | group order | group buy | pieces | pcs | units | 批发 | 批量 | 团购 | 大量 | 大批"
        " | 企业 | 公司 | 采购 | 大宗 | 团体 | 单位 | 一批 | 多件 | 上百件 | 百件 | 千件 | 几百件"
    ),
    "quote": "quote | quotation | special quote | 报价 | 询价 | 价格表",
    "invoice": (
        "invoice | invoices | receipt | receipts | fapiao | vat | tax invoice | e invoice"
        " | einvoice | electronic invoice | expense claim | expenses | 发票 | 开票 | 报销"
        " | 电子发票 | 专票 | 普票 | 收据 | 增值税 | 开发票"
    ),
    "email": "email | e mail | mailbox | inbox | 邮箱 | 邮件",
    "stock": (
        "stock | restock | restocking | restocked | back in stock | in stock | out of stock"
        " | sold out | soldout | available again | come back | inventory | replenish | unavailable"
        " | 缺货 | 补货 | 到货通知 | 没货 | 售罄 | 卖完 | 卖光 | 断货 | 库存 | 有货 | 断码 | 上新"
    ),
    "notify": "notify | notified | notification | alert | let me know | 通知 | 提醒 | 到货通知",
    "number": "number | 号码 | 手机号 | 电话",
}

# Words that carry no topic: dropped before phrase matching, on both sides (lexicon and text).
EN_HARD_STOPWORDS = _words(
    """
    a an the i me my mine myself we us our ours you your yours it its this that these those is am
    are was were be been being do does did done doing to of in on at for with from by as and or
    but so then please thanks thank thx ty hi hello hey hiya dear sir madam guys just very really
    also actually ive im id he she they them their his her him if lol hmm um uh oh ah hm yo
    """
)

# Words kept for phrases ("how long", "where is", "not arrive") and dropped when left over.
EN_SOFT_STOPWORDS = _words(
    """
    can could will would shall should may might must have has had having what whats which who whom
    how why where there here any some anything something get got getting want wanna gonna know
    tell question quick help let all much many need needs needed one ones thing things kind sort
    like wondering wonder ask asking again ever now currently possible able allowed use using used
    usually normally generally typically else other another more most such own same only each
    every not after before since until till while during via per up down out off see check look
    find way yes yeah instruction instructions info information detail details available
    availability seem seems write writing wrote leave leaving post posting give giving put make
    take takes taking back roughly approximately around yesterday today tonight last week dollar
    dollars yuan rmb usd yep ok okay please about into onto than too re
    """
)

# Negations are folded into one token so phrases like "not arrive" match all their spellings.
EN_NEGATIONS = _words(
    "not no never dont doesnt didnt isnt arent wasnt wont wouldnt cant cannot hasnt havent hadnt"
    " couldnt nothing"
)

ZH_STOPWORDS = _words(
    """
    的 了 吗 呢 吧 啊 呀 哦 嘛 么 啦 哈 嗯 哎 诶 喔 噢 我 我们 你 你们 您 他 她 它 他们 这 那 这个
    那个 这件 那件 这些 那些 请问 问一下 问下 一下 是 是不是 有 有没有 没有 没 可以 可不可以 能
    能不能 能否 可否 会 会不会 要 想 想问 就 还 都 也 在 在吗 亲 亲亲 您好 你好 谢谢 麻烦 帮 帮忙
    帮我 怎么 怎么样 怎样 如何 怎么办 什么 啥 哪个 多少 和 与 或 及 给 让 把 被 对 说 好 的话 一个
    个 下 上 后 之后 以后 时候 现在 已经 刚 刚刚 还是 但是 因为 所以 如果 支持 吗 嘛 呗 咋 咋办
    为什么 为啥 请 一 二 不 很 太 又 再 才 只 只能 需要 得 地 着 过 跟 向 从 到底 是否 一般 大概
    应该 可能 比如 看 看看 算 怎么算 用 使用 写 来 点 一点 去 昨天 今天 前天 现在 块 元 块钱 不能
    不可以 这样 那样 然后 老板 客服您好 小姐姐 哈喽 你们家 这边 那边
    """
)

# English abbreviations and common misspellings worth fixing before the typo corrector runs.
EN_REWRITES: dict[str, str] = {
    "u": "you",
    "ur": "your",
    "r": "are",
    "pls": "please",
    "plz": "please",
    "thx": "thanks",
    "wheres": "where",
    "hows": "how",
    "shld": "should",
    "addy": "address",
    "pkg": "package",
    "pkgs": "package",
    "refnd": "refund",
    "invoce": "invoice",
    "recieve": "receive",
    "recieved": "received",
    "reciept": "receipt",
    "adress": "address",
    "shippment": "shipment",
    "tshirts": "tshirt",
}
