"""The demo brand: a deterministic, realistic women's fashion brand of any size.

HQ's ``demo-data`` command and the benchmarks on both sides build their data from here,
so it is a pure function of (size, seed, today): no global random state, no clock, no
I/O. Customers draw from one ``Random(seed * 1_000_003 + block)`` per block of 1,000, and
a customer's purchases come from the same draws as the customer, so customers listed
alone or with their purchases agree, and iterating twice gives the same records.

Customers follow a lifecycle archetype (prospect, new, mature, heavy, at risk, dormant)
so every stage and tier occurs; their ``tier`` and ``points`` are computed from their
own purchases with the rules of ``app.domain.lifecycle``.
"""

from __future__ import annotations

import calendar
import itertools
from bisect import bisect, bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from operator import neg
from random import Random
from typing import NamedTuple

from app.domain.customers import (
    Channel,
    Customer,
    FollowUp,
    Guide,
    Product,
    Purchase,
    PurchaseItem,
    Store,
)
from app.domain.lifecycle import YEAR_DAYS, PurchaseSummary, tier_for

# Every demo guide's PIN (the manager's too); demo data only, never a real brand's. Six
# digits that meet app/domain/pin.py, so the demo signs in without a forced change.
DEMO_PIN = "246810"
CUSTOMERS_PER_STORE = 2_500
HISTORY_DAYS = 730  # purchases cover the last two years
MEMBERSHIP_DAYS = 1_095  # members joined within the last three years
FOLLOWUP_SHARE = 0.5  # members with recent follow-ups in the demo
_PHONE_STEP = 7_368_787  # coprime with 10**8: index → 8-digit suffix is a bijection

# Surnames with their share per 10,000 people (approximately the 2020 census ranking).
_COMMON_SURNAMES = {
    "王": 712, "李": 700, "张": 675, "刘": 538, "陈": 453, "杨": 308, "赵": 229, "黄": 223,
    "周": 193, "吴": 205, "徐": 145, "孙": 138, "胡": 115, "朱": 126, "高": 100, "林": 101,
    "何": 106, "郭": 114, "马": 129, "罗": 87, "梁": 77, "宋": 67, "郑": 79, "谢": 72,
    "韩": 60, "唐": 66, "冯": 59, "于": 44, "董": 47, "萧": 10, "程": 39, "曹": 57,
    "袁": 46, "邓": 58, "许": 61, "傅": 12, "沈": 34, "曾": 53, "彭": 54, "吕": 37,
    "苏": 38, "卢": 33, "蒋": 43, "蔡": 43, "贾": 26, "丁": 36, "魏": 38, "薛": 20,
    "叶": 40, "阎": 8, "余": 42, "潘": 45, "杜": 41, "戴": 13, "夏": 25, "钟": 31,
    "汪": 29, "田": 50, "任": 35, "姜": 33, "范": 28, "方": 24, "石": 27, "姚": 34,
    "谭": 30, "廖": 26, "邹": 23, "熊": 22, "金": 28, "陆": 30, "郝": 15, "孔": 12,
    "白": 23, "崔": 32, "康": 11, "毛": 16, "邱": 21, "秦": 21, "江": 21, "史": 17,
    "顾": 16, "侯": 18, "邵": 15, "孟": 22, "龙": 18, "万": 14, "段": 19, "雷": 19,
    "钱": 14, "汤": 11, "尹": 20, "黎": 17, "易": 10, "常": 10, "武": 13, "乔": 9,
    "贺": 16, "赖": 10, "龚": 15, "文": 10, "肖": 51, "覃": 13, "付": 24, "严": 13,
}  # fmt: skip
# Surnames whose surname reading differs from the everyday one, and compound surnames:
# rare in life, over-represented here so search is exercised on them.
_SPECIAL_SURNAMES = "单解仇区朴查盖乐缪翟华纪秘宁燕种折员薄繁句黑过卜柏召都阚谌尉隗冼能藏重颉"
_COMPOUND_SURNAMES = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙",
    "慕容", "长孙", "宇文", "司徒", "夏侯", "轩辕", "令狐", "端木",
    "南宫", "万俟", "独孤", "西门", "呼延", "申屠",
)  # fmt: skip
_FEMALE_GIVEN = (
    "静丽敏燕艳娟霞芳婷雪慧琳玲欣怡悦涵萱晨佳颖倩洁璐瑶梦思雨诗梓可馨妍若媛嘉蕾雯露菲萍红秀英"
    "娜莉晓美婉月桐彤一子安宁乐欢语琪琦婧楠蓉薇岚青云珊丹凤梅兰清芸茜淑惠君琳洋春秋冰"
)
_MALE_GIVEN = "伟强磊军勇杰涛斌浩宇轩博文明辉鹏超俊峰建国志华平刚毅晨阳然航睿泽铭皓子一嘉家天成长朝"
_RARE_GIVEN = "𠮷㛃䶮堃喆犇燊淼玥昇"
_DOTTED_NAMES = (
    "迪丽热巴·迪力木拉提",
    "古力娜扎·拜合提亚尔",
    "阿依古丽·买买提",
    "热依扎·阿不都拉",
    "米热·阿不来提",
    "帕丽旦·吐尔逊",
    "玛依拉·艾尼瓦尔",
    "努尔艾力·吾买尔",
)
_MOBILE_PREFIXES = (
    "138", "139", "137", "136", "135", "134", "150", "151", "152", "157", "158", "159",
    "182", "183", "187", "188", "130", "131", "132", "155", "156", "185", "186", "133",
    "153", "180", "181", "189", "177", "199",
)  # fmt: skip
_FEMALE_TAGS = (
    "职场通勤", "周末休闲", "新品控", "价格敏感", "宝妈", "学生", "会员日常客", "偏爱连衣裙",
    "偏爱针织", "小个子", "大码需求", "极简风", "喜欢亮色", "送礼需求", "活动必到", "线上下单",
    "搭配需求", "羊绒爱好者",
)  # fmt: skip
_MALE_TAGS = (
    "职场通勤",
    "周末休闲",
    "新品控",
    "价格敏感",
    "送礼需求",
    "会员日常客",
    "线上下单",
    "搭配需求",
)
_COLOURS_LIKED = (
    "黑白灰",
    "米白",
    "燕麦色",
    "雾霾蓝",
    "酒红",
    "驼色",
    "豆沙粉",
    "橄榄绿",
    "藏青",
    "奶油黄",
)
_FITS = ("偏爱宽松版型", "喜欢修身剪裁", "腰线要明显", "裤长偏好九分", "不穿高领", "喜欢垂感面料")
_HABITS = (
    "周末常来逛",
    "新品到店请第一时间通知",
    "只在会员日购买",
    "对纯羊毛过敏",
    "喜欢听搭配建议",
    "送礼前会来咨询",
    "不喜欢电话，微信联系",
    "工作日午休时间方便",
)

# City → shopping streets / malls; store names are city + place + 店.
_STORE_PLACES = {
    "上海": "南京西路 淮海中路 陆家嘴 徐家汇 静安寺 五角场 七宝 虹桥天地",
    "北京": "三里屯 国贸 西单 王府井 中关村 望京 五道口",
    "广州": "天河城 正佳广场 北京路 太古汇 番禺万达",
    "深圳": "万象城 海岸城 福田中心城 壹方城 龙华九方",
    "杭州": "湖滨银泰 武林广场 西溪印象城 滨江龙湖",
    "成都": "春熙路 太古里 环球中心 万象城",
    "南京": "新街口 德基广场 河西万达",
    "武汉": "武商广场 楚河汉街 光谷",
    "重庆": "解放碑 观音桥 万象城",
    "西安": "赛格 小寨 曲江",
    "苏州": "观前街 园区久光 印象城",
    "天津": "滨江道 大悦城 万象城",
    "长沙": "五一广场 IFS 德思勤",
    "郑州": "二七广场 正弘城 丹尼斯",
    "青岛": "海信广场 万象城",
    "厦门": "中山路 万象城",
    "宁波": "天一广场 印象城",
    "沈阳": "中街 太原街",
    "大连": "西安路 恒隆广场",
    "昆明": "南屏街 顺城",
    "合肥": "淮河路 万象城",
    "福州": "东街口 万象城",
    "济南": "泉城路 恒隆广场",
    "无锡": "崇安寺 恒隆广场",
}

# (category, SKU code, price range in yuan, popularity, models); the models' names end
# in the category noun unless they name a thing of their own (配饰, 包袋, 鞋履).
_CATALOGUE = (
    ("连衣裙", "DR", (499, 1599), 14, "法式方领 收腰衬衫 碎花茶歇 针织吊带 缎面垂感 A字背心 小黑"),
    ("衬衫", "SH", (299, 899), 10, "真丝 通勤翻领 宽松廓形 泡泡袖 条纹"),
    ("T恤", "TS", (149, 399), 12, "纯棉圆领 字母印花 短款修身 落肩宽松 莫代尔"),
    ("针织衫", "KN", (299, 899), 10, "羊毛混纺 镂空短款 V领 麻花 开衫"),
    ("毛衣", "SW", (499, 1499), 6, "羊绒 高领套头 慵懒宽松"),
    ("半身裙", "SK", (299, 899), 9, "高腰A字 百褶 包臀 牛仔 缎面"),
    ("阔腿裤", "WP", (299, 799), 9, "垂感西装 高腰 亚麻 灯芯绒"),
    ("牛仔裤", "JN", (299, 699), 8, "直筒 微喇 九分烟管"),
    ("西装外套", "BZ", (699, 1699), 5, "双排扣 廓形 短款"),
    ("风衣", "TC", (899, 1999), 4, "经典双排扣 中长款 短款"),
    ("大衣", "CT", (1299, 3999), 3, "双面羊绒 茧型 落肩羊毛"),
    ("羽绒服", "DJ", (999, 2999), 3, "轻薄短款 白鸭绒中长 连帽"),
    ("卫衣", "HD", (249, 599), 6, "连帽 圆领 加绒"),
    ("配饰", "AC", (99, 499), 8, "真丝小方巾 羊毛围巾 皮质腰带 珍珠发夹"),
    ("包袋", "BG", (399, 1299), 4, "托特包 腋下包 链条斜挎包"),
    ("鞋履", "SE", (399, 999), 4, "乐福鞋 玛丽珍鞋 切尔西靴 小白鞋"),
)
_OWN_NAMES = {"配饰", "包袋", "鞋履"}
_COLOURS = (
    ("黑色", "BK"), ("白色", "WH"), ("米白", "IV"), ("燕麦色", "OT"), ("雾霾蓝", "BL"),
    ("酒红", "WR"), ("卡其", "KH"), ("藏青", "NV"), ("浅灰", "GY"), ("豆沙粉", "PK"),
    ("橄榄绿", "OG"), ("驼色", "CM"),
)  # fmt: skip

# Lifecycle archetypes: (name, share). Shapes of each are in ``_order_days``.
_ARCHETYPES = (
    ("prospect", 10),
    ("new", 8),
    ("mature", 43),
    ("heavy", 8),
    ("slipping", 7),  # frequent buyer, 90–179 days since the last purchase
    ("lapsed", 7),  # 180–364 days since the last purchase
    ("dormant", 17),
)
_ITEM_COUNTS = (1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4)  # 1–4 items, mostly one
_TAG_COUNTS = (0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 3, 3, 4)


_SURNAME_KEYS = list(_COMMON_SURNAMES)
_SURNAME_CUM = list(itertools.accumulate(_COMMON_SURNAMES.values()))
_ARCHETYPE_SHARES = list(itertools.accumulate(share for _, share in _ARCHETYPES))


def person_name(rng: Random, female: bool) -> str:
    """A realistic Chinese name: surnames by real frequency, sometimes a surname with a
    surname reading of its own or a compound one, very rarely a rare character or a
    transliterated name with a middle dot."""
    roll = rng.random()
    if roll < 0.001:
        return _DOTTED_NAMES[int(rng.random() * len(_DOTTED_NAMES))]
    if roll < 0.013:
        surname = _COMPOUND_SURNAMES[int(rng.random() * len(_COMPOUND_SURNAMES))]
    elif roll < 0.05:
        surname = _SPECIAL_SURNAMES[int(rng.random() * len(_SPECIAL_SURNAMES))]
    else:
        surname = _SURNAME_KEYS[bisect(_SURNAME_CUM, rng.random() * _SURNAME_CUM[-1])]
    pool = _FEMALE_GIVEN if female else _MALE_GIVEN
    first = pool[int(rng.random() * len(pool))]
    shape = rng.random()
    if shape < 0.28:
        given = first
    elif shape < 0.32:
        given = first * 2  # 娜娜, 婷婷
    else:
        given = first + pool[int(rng.random() * len(pool))]
    if rng.random() < 0.001:
        given = given[:-1] + _RARE_GIVEN[int(rng.random() * len(_RARE_GIVEN))]
    return surname + given


def _catalogue(rng: Random) -> list[Product]:
    products = []
    for category, code, (low, high), _, models in _CATALOGUE:
        for number, model in enumerate(models.split(), start=1):
            yuan = rng.randrange(low // 100, high // 100 + 1) * 100 + 99
            name = model if category in _OWN_NAMES else model + category
            for colour, colour_code in rng.sample(_COLOURS, rng.randint(2, 4)):
                products.append(
                    Product(f"{code}{number:03d}-{colour_code}", name, category, colour, yuan * 100)
                )
    return products


def _store_names(count: int) -> list[tuple[str, str]]:
    """(name, city) for ``count`` stores, going round the cities so each size is varied."""
    places = [(city, p.split()) for city, p in _STORE_PLACES.items()]
    names = [
        (f"{city}{spots[i]}店", city)
        for i in range(max(len(s) for _, s in places))
        for city, spots in places
        if i < len(spots)
    ]
    for n in itertools.count(2):
        if len(names) >= count:
            break
        names += [(f"{name[:-1]}{n}号店", city) for name, city in names[: count - len(names)]]
    return names[:count]


_BASKET_MASK = 4_095  # orders draw one of 4,096 baskets
_BLOCK = 1_000  # customers per random stream: cheap to seed, and random access stays cheap
_HOURS = tuple(f"{h:02d}" for h in range(2, 14))  # shops open 10:00–22:00 in China (UTC+8)
_MINUTES_SECONDS = tuple(f"{s // 60:02d}:{s % 60:02d}" for s in range(3_600))
_MONTH_DAYS = tuple(
    (date(2000, 1, 1) + timedelta(days=d)).isoformat()[4:] for d in range(366)
)  # '-MM-DD' of a leap year


_FOLLOWUP_CHANNELS = (Channel.WECHAT, Channel.CALL, Channel.IN_STORE, Channel.SMS)
_CHANNEL_SHARES = (0.6, 0.8, 0.95)  # cumulative: WeChat, call, in store; the rest SMS
_FOLLOWUP_NOTES = {
    Channel.WECHAT: (
        "微信问候，发了秋冬新品图，客户说周末来看",
        "发了通勤穿搭推荐，客户喜欢那件驼色大衣",
        "生日祝福，提醒生日月积分双倍",
        "会员日提醒，客户说会带朋友来",
        "发了羊绒保养小贴士，客户回复感谢",
    ),
    Channel.CALL: (
        "电话回访，上次买的连衣裙很满意",
        "电话通知改好的裤子可以取了",
        "未接电话，稍后改发微信",
        "电话询问尺码，M 码到货后再联系",
    ),
    Channel.IN_STORE: (
        "到店试穿大衣，想等会员日再买",
        "到店取修改好的裤子，顺便看了针织衫",
        "带朋友到店，朋友办了会员",
    ),
    Channel.SMS: ("短信提醒会员积分即将到期", "短信通知预留的款式已到店"),
}


def _clock(second: int) -> str:
    """'HH:MM:SS' (UTC) of the ``second``-th second of opening hours (0–43,199)."""
    return f"{_HOURS[second // 3_600]}:{_MINUTES_SECONDS[second % 3_600]}"


class _Plan(NamedTuple):
    """A customer with their orders in raw form: enough to summarise them cheaply, and
    to build the ``Purchase`` values only when someone asks for purchases."""

    customer: Customer
    days: list[int]  # days before ``today`` of each order, oldest first
    orders: list[int]  # per order: basket (12 bits), attending guide (5), time (the rest)


@dataclass(frozen=True)
class DemoBrand:
    """Stores, guides and products of the demo brand; customers and purchases are
    generated on demand (200,000 customers' purchases do not belong in memory)."""

    customers: int
    seed: int
    today: date
    stores: list[Store]
    guides: list[Guide]
    products: list[Product]
    _store_weights: list[float] = field(repr=False)  # cumulative, for bisect
    _store_guides: dict[str, list[str]] = field(repr=False)  # the manager once, others twice
    _baskets: list[tuple[PurchaseItem, ...]] = field(repr=False)  # 4,096 typical baskets
    _basket_totals: list[int] = field(repr=False)
    _day_strings: list[str] = field(repr=False)  # 'YYYY-MM-DD' of today − n days

    def iter_customers(self) -> Iterator[Customer]:
        """Customers C0000001… in order; tier and points follow their own purchases."""
        return (plan.customer for plan in self._plans())

    def iter_purchases(self) -> Iterator[Purchase]:
        """Every purchase of the last two years, customer by customer, oldest first."""
        baskets, totals, day_strings = self._baskets, self._basket_totals, self._day_strings
        for customer, days, orders in self._plans():
            colleagues = self._store_guides[customer.store_id]
            number = customer.id[1:]
            for n, (day, order) in enumerate(zip(days, orders, strict=True), 1):
                basket, who = order & _BASKET_MASK, order >> 12 & 31
                guide = customer.guide_id  # mostly; sometimes a colleague, or nobody
                if who >= 26:
                    guide = None if who < 28 else colleagues[who % len(colleagues)]
                yield Purchase(
                    id=f"P{number}-{n:03d}",
                    customer_id=customer.id,
                    store_id=customer.store_id,
                    guide_id=guide,
                    paid_at=f"{day_strings[day]}T{_clock((order >> 17) % 43_200)}Z",
                    amount_cents=totals[basket],
                    items=baskets[basket],
                )

    def iter_followups(self) -> Iterator[FollowUp]:
        """Follow-ups (跟进) of the last four months, oldest first per customer: about half
        the members have one to four, the latest sometimes with a next date (some due
        soon, some overdue). Their own random streams: customers and purchases are the
        same with or without them."""
        rng = Random()
        for index, customer in enumerate(self.iter_customers()):
            if index % _BLOCK == 0:
                rng = Random(self.seed * 2_000_029 + index // _BLOCK)
            if rng.random() >= FOLLOWUP_SHARE:
                continue
            guide = customer.guide_id or self._store_guides[customer.store_id][0]
            ages = sorted((rng.randint(1, 120) for _ in range(rng.randint(1, 4))), reverse=True)
            joined = customer.joined_at[:10] if customer.joined_at else ""
            ages = [a for a in ages if (self.today - timedelta(days=a)).isoformat() >= joined]
            for n, age in enumerate(ages, 1):
                day = self.today - timedelta(days=age)
                channel = _FOLLOWUP_CHANNELS[bisect(_CHANNEL_SHARES, rng.random())]
                due = None
                if n == len(ages) and rng.random() < 0.4:
                    due = (day + timedelta(days=rng.choice((3, 7, 14, 30)))).isoformat()
                yield FollowUp(
                    id=f"F{customer.id[1:]}-{n}",
                    customer_id=customer.id,
                    guide_id=guide,
                    channel=channel,
                    note=rng.choice(_FOLLOWUP_NOTES[channel]),
                    created_at=f"{day.isoformat()}T{_clock(rng.randrange(36_000))}Z",
                    next_followup_on=due,
                )

    def _plans(self) -> Iterator[_Plan]:
        # One random stream per block of customers keeps customer i independent of
        # everything outside its block, without paying ~4 µs to seed a Random per customer.
        for start in range(0, self.customers, _BLOCK):
            rng = Random(self.seed * 1_000_003 + start // _BLOCK)
            for index in range(start, min(start + _BLOCK, self.customers)):
                yield self._plan(rng, index)

    def _plan(self, rng: Random, index: int) -> _Plan:
        rand = rng.random
        store = self.stores[bisect(self._store_weights, rand() * self._store_weights[-1])]
        guides = self._store_guides[store.id]
        roll = rand()
        gender = "F" if roll < 0.88 else "M" if roll < 0.98 else ""
        name = person_name(rng, female=gender != "M")
        archetype = _ARCHETYPES[bisect(_ARCHETYPE_SHARES, rand() * _ARCHETYPE_SHARES[-1])][0]
        days = _order_days(rng, archetype)
        orders = [rng.getrandbits(40) for _ in days]
        amounts = [self._basket_totals[order & _BASKET_MASK] for order in orders]
        older = bisect_left(days, -YEAR_DAYS, key=neg)  # orders before the rolling year
        total = sum(amounts)
        summary = PurchaseSummary(
            first_purchase_on=self._day_strings[days[0]] if days else None,
            last_purchase_on=self._day_strings[days[-1]] if days else None,
            orders_365=len(days) - older,
            spent_365_cents=total - sum(amounts[:older]),
            total_spent_cents=total,
            orders_total=len(days),
        )
        if not days:
            joined, joined_at = int(rand() * MEMBERSHIP_DAYS), _clock(int(rand() * 43_200))
        elif rand() < 0.6:  # signed up at the till, on the first purchase
            joined, joined_at = days[0], _clock((orders[0] >> 17) % 43_200)
        else:
            joined = min(days[0] + 1 + int(rand() * 400), MEMBERSHIP_DAYS)
            joined_at = _clock(int(rand() * 43_200))
        customer = Customer(
            id=f"C{index + 1:07d}",
            store_id=store.id,
            guide_id=guides[int(rand() * len(guides))],
            name=name,
            phone=self._phone(rng, index),
            gender=gender,
            birthday=_birthday(rng, self.today),
            tier=tier_for(summary),
            points=total // 100,  # one point per yuan spent
            tags=_tags(rng, gender),
            sizes=_sizes(rng, gender),
            preferences=_preferences(rng),
            joined_at=f"{self._day_strings[joined]}T{joined_at}Z",
        )
        return _Plan(customer, days, orders)

    def _phone(self, rng: Random, index: int) -> str:
        """A mobile number unique in the brand: the last eight digits are a bijection of
        the customer's index, so no set of numbers seen so far is needed."""
        prefix = _MOBILE_PREFIXES[int(rng.random() * len(_MOBILE_PREFIXES))]
        return f"{prefix}{(index + self.seed) * _PHONE_STEP % 100_000_000:08d}"


def _order_days(rng: Random, archetype: str) -> list[int]:
    """Days before today of a customer's orders, oldest first, shaped so the lifecycle
    rules put the customer where the archetype says (see ``LifecycleRules``)."""
    rand = rng.random

    def between(low: int, high: int) -> int:  # randint without its ~0.7 µs of checks
        return low + int(rand() * (high - low + 1))

    if archetype == "prospect":
        return []
    if archetype == "new":
        last = between(0, 45)
        first, count = between(last, 59), between(1, 3)
    elif archetype in ("mature", "heavy"):
        last = between(0, 80)
        first = between(max(last + 1, 60), HISTORY_DAYS - 1)
        count = 2 + int(rand() ** 3 * 16) if archetype == "mature" else between(40, 120)
    elif archetype == "slipping":
        last = between(90, 179)
        first, count = between(last + 20, YEAR_DAYS), between(4, 10)
    elif archetype == "lapsed":
        last = between(180, YEAR_DAYS - 1)
        first, count = between(last, HISTORY_DAYS - 1), between(1, 6)
    else:
        last = between(YEAR_DAYS + 1, HISTORY_DAYS - 60)
        first, count = between(last, HISTORY_DAYS - 1), between(1, 5)
    if count == 1 or first == last:
        return [first]
    span = first - last + 1
    return sorted(
        [first, last, *(last + int(rand() * span) for _ in range(count - 2))], reverse=True
    )


def _birthday(rng: Random, today: date) -> str | None:
    """A member's birthday (about 4% never told), ages 18–59, 29 February included."""
    roll = rng.random()
    if roll < 0.04:
        return None
    year = today.year - (18 + int(rng.random() * 12) if roll < 0.5 else 30 + int(rng.random() * 30))
    month_day = _MONTH_DAYS[int(rng.random() * 366)]
    if month_day == "-02-29" and not calendar.isleap(year):
        month_day = "-02-28"
    return f"{year}{month_day}"


def _tags(rng: Random, gender: str) -> tuple[str, ...]:
    """0–4 tags; a repeated draw just means one tag fewer (``sample`` is 5× slower)."""
    pool, rand = _MALE_TAGS if gender == "M" else _FEMALE_TAGS, rng.random
    count = _TAG_COUNTS[int(rand() * len(_TAG_COUNTS))]
    return tuple(dict.fromkeys([pool[int(rand() * len(pool))] for _ in range(count)]))


_SIZES = {
    "M": (("M", "L", "XL", "XXL"), ("30", "31", "32", "33", "34"), ("39", "40", "41", "42", "43", "44")),
    "F": (("XS", "S", "M", "M", "L", "XL"), ("25", "26", "27", "28", "29", "30"), ("35", "36", "37", "38", "39")),
}  # fmt: skip


def _sizes(rng: Random, gender: str) -> dict[str, str]:
    tops, bottoms, shoes = _SIZES["M" if gender == "M" else "F"]
    rand = rng.random
    return {
        "top": tops[int(rand() * len(tops))],
        "bottom": bottoms[int(rand() * len(bottoms))],
        "shoe": shoes[int(rand() * len(shoes))],
    }


def _preferences(rng: Random) -> str:
    def pick(options: tuple[str, ...]) -> str:
        return options[int(rng.random() * len(options))]

    return f"喜欢{pick(_COLOURS_LIKED)}，{pick(_FITS)}，{pick(_HABITS)}。"


def generate_brand(customers: int, *, seed: int = 20261122, today: date) -> DemoBrand:
    """The demo brand with ``customers`` members: about one store per 2,500 customers
    (at least two), 4–8 guides per store (the first is its manager, 店长), ~200 SKUs."""
    if customers < 0:
        raise ValueError("customers must not be negative")
    products = _catalogue(Random(seed * 7 + 1))
    rng = Random(seed * 7 + 2)
    store_count = max(2, round(customers / CUSTOMERS_PER_STORE))
    stores = [
        Store(f"S{n:03d}", name, city)
        for n, (name, city) in enumerate(_store_names(store_count), 1)
    ]
    guides: list[Guide] = []
    store_guides: dict[str, list[str]] = {}
    for store in stores:
        team = [
            Guide(
                f"G{len(guides) + k:03d}", store.id, person_name(rng, rand < 0.85), k == 1, DEMO_PIN
            )
            for k, rand in enumerate((rng.random() for _ in range(rng.randint(4, 8))), 1)
        ]
        guides += team
        # The manager (店长) looks after fewer members than the guides do.
        store_guides[store.id] = [team[0].id, *(g.id for g in team[1:] for _ in range(2))]
    baskets = _baskets(products, Random(seed * 7 + 3))
    return DemoBrand(
        customers=customers,
        seed=seed,
        today=today,
        stores=stores,
        guides=guides,
        products=products,
        _store_weights=list(itertools.accumulate(0.6 + rng.random() for _ in stores)),
        _store_guides=store_guides,
        _baskets=baskets,
        _basket_totals=[sum(item.price_cents or 0 for item in b) for b in baskets],
        _day_strings=[(today - timedelta(days=d)).isoformat() for d in range(MEMBERSHIP_DAYS + 1)],
    )


def _baskets(products: list[Product], rng: Random) -> list[tuple[PurchaseItem, ...]]:
    """The typical baskets orders are drawn from: 1–4 items (mostly 1–2), products by
    their category's popularity, one item in ten marked down to 70% (to the yuan).

    Drawing an order's whole basket with one random number keeps 200,000 customers'
    two million orders cheap to summarise; 4,096 baskets are plenty of variety.
    """
    popularity = {category: weight for category, _, _, weight, _ in _CATALOGUE}
    cumulative = list(itertools.accumulate(popularity[p.category] for p in products))

    def item() -> PurchaseItem:
        product = products[bisect(cumulative, rng.random() * cumulative[-1])]
        price = product.price_cents
        if rng.random() < 0.1:
            price = (price * 7 + 500) // 1_000 * 100
        return PurchaseItem(product.sku, 1, price)

    return [
        tuple(item() for _ in range(_ITEM_COUNTS[int(rng.random() * len(_ITEM_COUNTS))]))
        for _ in range(_BASKET_MASK + 1)
    ]
