"""One share card per script, as a reader gets it: the prices and the notice they show (seeded
with fixed dates by tests/public/seed.py), the options in the card's URL, and every text the
card then says. tests/public/cards/ holds each drawn as a reference image."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.prices.models import PriceType
from app.public.card_drawing import Card, NoticeCard, PriceCard, Trend
from tests.public.seed import Quote

NOVEMBER_12 = dt.date(2026, 11, 12)
NOVEMBER_26 = dt.date(2026, 11, 26)


@dataclass(frozen=True)
class PriceSample:
    earlier: tuple[Quote, ...]  # published before: the change is measured against the last
    quote: Quote
    query: str
    card: PriceCard


@dataclass(frozen=True)
class NoticeSample:
    texts: dict[str, str]
    countries: list[str]
    markets: list[str]
    commodities: list[str]
    urgent: bool
    sent_at: dt.datetime
    query: str
    card: NoticeCard


def _muse_mango(price: str, on: dt.date) -> Quote:
    return Quote("muse", "mango", "sein-ta-lone", "tonne", "CNY", PriceType.BORDER, price, on)


def _phnom_srok_silk(price: str, on: dt.date) -> Quote:
    return Quote("phnom-srok", "silk", "fine-yarn", "kg", "KHR", PriceType.WHOLESALE, price, on)


def _thai_nguyen_tea(price: str, on: dt.date) -> Quote:
    return Quote("thai-nguyen", "tea", "green", "kg", "VND", PriceType.WHOLESALE, price, on)


PRICES: dict[str, PriceSample] = {
    # Burmese with Burmese digits: a border quote in yuan that rose.
    "my": PriceSample(
        earlier=(_muse_mango("12000", NOVEMBER_12),),
        quote=_muse_mango("12600", NOVEMBER_26),
        query="lang=my&digits=native",
        card=PriceCard(
            locale="my",
            brand="မဲခေါင် ဈေးကွက် သတင်းအချက်အလက် စင်တာ",
            title="သရက်သီး (စိန်တစ်လုံး)",
            place="မူဆယ်၊ မြန်မာ",
            price="၁၂,၆၀၀\N{NO-BREAK SPACE}CN¥",
            unit="တစ်တန်လျှင်",
            change="နို ၁၂ နှင့်ယှဉ်လျှင် +၆၀၀\N{NO-BREAK SPACE}CN¥ (+၅.၀%)",
            trend=Trend.RISE,
            footer="၂၀၂၆ နို ၂၆ အထိ · နယ်စပ်ဈေး",
        ),
    ),
    # Khmer: riel per kilo that fell, Latin digits beside the Khmer text and the riel sign.
    "km": PriceSample(
        earlier=(_phnom_srok_silk("160000", NOVEMBER_12),),
        quote=_phnom_srok_silk("152000", NOVEMBER_26),
        query="lang=km",
        card=PriceCard(
            locale="km",
            brand="មជ្ឈមណ្ឌលព័ត៌មានទីផ្សារមេគង្គ",
            title="សូត្រ (សូត្រល្អិត)",
            place="ភ្នំស្រុក, កម្ពុជា",
            price="152,000៛",
            unit="ក្នុងមួយគីឡូ",
            change="-8,000៛ (-5.0%) ធៀបនឹង 12 វិច្ឆិកា",
            trend=Trend.FALL,
            footer="គិតត្រឹម 26 វិច្ឆិកា 2026 · តម្លៃលក់ដុំ",
        ),
    ),
    # Lao with Lao digits: the first price of its series, in kip per piece.
    "lo": PriceSample(
        earlier=(),
        quote=Quote(
            "vientiane", "silk", "fabric", "piece", "LAK", PriceType.RETAIL, "350000", NOVEMBER_26
        ),
        query="lang=lo&digits=native",
        card=PriceCard(
            locale="lo",
            brand="ສູນຂໍ້ມູນຂ່າວສານຕະຫຼາດແມ່ຂອງ",
            title="ໄໝ (ຜ້າໄໝ)",
            place="ວຽງຈັນ, ລາວ",
            price="₭໓໕໐.໐໐໐",
            unit="ຕໍ່ອັນ",
            change="ລາຄາທຳອິດທີ່ເຜີຍແຜ່ຢູ່ບ່ອນນີ້",
            trend=Trend.NEW,
            footer="ນັບຮອດ ໒໖ ພ.ຈ. ໒໐໒໖ · ລາຄາຂາຍຍ່ອຍ",
        ),
    ),
    # Vietnamese: Latin letters with their diacritics, and a price that did not move.
    "vi": PriceSample(
        earlier=(_thai_nguyen_tea("250000", NOVEMBER_12),),
        quote=_thai_nguyen_tea("250000", NOVEMBER_26),
        query="lang=vi",
        card=PriceCard(
            locale="vi",
            brand="Trung tâm Thông tin Thị trường Mê Kông",
            title="Chè (Chè xanh)",
            place="Thái Nguyên, Việt Nam",
            price="250.000\N{NO-BREAK SPACE}₫",
            unit="mỗi kg",
            change="Không đổi so với 12 thg 11",
            trend=Trend.FLAT,
            footer="Tính đến 26 thg 11, 2026 · Giá bán buôn",
        ),
    ),
}

# Chinese: an urgent notice, in the text written for Chinese readers.
NOTICE = NoticeSample(
    texts={
        "en": "Muse 105th Mile gate closed today. Do not send trucks.",
        "my": "မူဆယ် ၁၀၅ မိုင် ဂိတ် ယနေ့ ပိတ်ထားသည်။ ကုန်တင်ကား မပို့ပါနှင့်။",
        "zh": "木姐105码口岸今日关闭，请勿发车。已在路上的车辆请在南坎等候，开放时间另行通知。",
    },
    countries=["MM"],
    markets=["muse"],
    commodities=["mango"],
    urgent=True,
    sent_at=dt.datetime(2026, 11, 26, 1, 30, tzinfo=dt.UTC),
    query="lang=zh",
    card=NoticeCard(
        locale="zh",
        brand="湄公河市场信息中心",
        heading="紧急市场通知",
        urgent=True,
        audience="缅甸 · 木姐 · 芒果",
        body="木姐105码口岸今日关闭，请勿发车。已在路上的车辆请在南坎等候，开放时间另行通知。",
        footer="发布于2026年11月26日",
    ),
)

CARDS: dict[str, Card] = {**{k: s.card for k, s in PRICES.items()}, "zh": NOTICE.card}
