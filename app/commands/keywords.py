"""The words that say what a producer wants, in each language, and the currency words.

Catalogue names (commodities, varieties, markets, units) live in the database as aliases, where
a CDE can add local spellings; these command words are part of the product's behaviour and
change with the code that acts on them.
"""

from __future__ import annotations

import enum
from typing import Final


class Intent(enum.StrEnum):
    PRICE = "price"
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"
    REPORT = "report"
    SELL = "sell"
    BUY = "buy"
    LEADS = "leads"
    LANGUAGE = "language"
    SCRIPT = "script"  # the producer's script: SCRIPT LATIN (app.commands.romanised)
    HELP = "help"
    UNKNOWN = "unknown"


# intent -> locale -> words. Matching folds case and Vietnamese accents ("gia" finds "giá").
KEYWORDS: Final[dict[Intent, dict[str, tuple[str, ...]]]] = {
    Intent.PRICE: {
        "en": ("price", "prices", "how much", "rate", "cost"),
        "my": ("ဈေး", "စျေး", "ဈေးနှုန်း", "စျေးနှုန်း", "ဘယ်လောက်"),
        "km": ("តម្លៃ", "ប៉ុន្មាន"),
        "lo": ("ລາຄາ", "ເທົ່າໃດ"),
        "vi": ("giá", "bao nhiêu", "giá cả"),
        "zh": ("价格", "价钱", "多少钱", "行情", "报价多少"),
    },
    Intent.SUBSCRIBE: {
        "en": ("join", "subscribe", "alert me", "alert", "follow", "notify me", "start"),
        "my": ("အသင်းဝင်", "စာရင်းသွင်း", "သတိပေး", "အကြောင်းကြား"),
        "km": ("ចូលរួម", "ជាវ", "ជូនដំណឹង"),
        "lo": ("ສະໝັກ", "ເຂົ້າຮ່ວມ", "ແຈ້ງເຕືອນ"),
        "vi": ("đăng ký", "dang ky", "theo dõi", "tham gia", "báo cho tôi"),
        "zh": ("订阅", "关注", "加入", "提醒我"),
    },
    Intent.UNSUBSCRIBE: {
        # What carriers and users send to opt out, in every language.
        "en": ("stop", "unsubscribe", "stopall", "stop all", "cancel", "end", "quit", "opt out"),
        "my": ("ရပ်", "ရပ်ပါ", "ရပ်ဆိုင်း", "မလိုချင်"),
        "km": ("ឈប់", "បោះបង់"),
        "lo": ("ຢຸດ", "ຍົກເລີກ"),
        "vi": ("dừng", "hủy", "huỷ", "ngừng", "tắt"),
        "zh": ("退订", "停止", "取消订阅", "取消"),
    },
    Intent.REPORT: {
        "en": ("report", "+p"),
        "my": ("သတင်းပို့",),
        "km": ("រាយការណ៍",),
        "lo": ("ລາຍງານ",),
        "vi": ("báo giá",),
        "zh": ("上报", "报价"),
    },
    Intent.SELL: {
        "en": ("sell", "selling", "for sale"),
        "my": ("ရောင်း", "ရောင်းမည်"),
        "km": ("លក់",),
        "lo": ("ຂາຍ",),
        "vi": ("bán", "cần bán"),
        "zh": ("卖", "出售", "出卖"),
    },
    Intent.BUY: {
        "en": ("buy", "buying", "want to buy"),
        "my": ("ဝယ်", "ဝယ်မည်"),
        "km": ("ទិញ",),
        "lo": ("ຊື້",),
        "vi": ("mua", "cần mua"),
        "zh": ("买", "收购", "求购"),
    },
    Intent.LEADS: {
        "en": ("leads", "lead", "buyers", "buyer"),
        "my": ("ဝယ်သူ", "ဝယ်သူများ"),
        "km": ("អ្នកទិញ",),
        "lo": ("ຜູ້ຊື້",),
        "vi": ("người mua", "nguoi mua"),
        "zh": ("买家", "买主"),
    },
    Intent.LANGUAGE: {
        "en": ("language", "lang"),
        "my": ("ဘာသာစကား", "ဘာသာ"),
        "km": ("ភាសា",),
        "lo": ("ພາສາ",),
        "vi": ("ngôn ngữ",),
        "zh": ("语言",),
    },
    Intent.HELP: {
        "en": ("help", "menu", "info", "?"),
        "my": ("အကူအညီ",),
        "km": ("ជំនួយ",),
        "lo": ("ຊ່ວຍເຫຼືອ", "ຊ່ວຍ"),
        "vi": ("trợ giúp", "giúp", "hướng dẫn"),
        "zh": ("帮助", "菜单"),
    },
}

# Words for the six languages themselves, for LANGUAGE commands ("language မြန်မာ").
LANGUAGE_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "en": ("english", "eng", "en", "အင်္ဂလိပ်", "អង់គ្លេស", "ອັງກິດ", "tiếng anh", "英语", "英文"),
    "my": ("burmese", "myanmar", "my", "မြန်မာ", "ភាសាភូមា", "ມຽນມາ", "tiếng miến", "缅甸语", "缅语"),
    "km": ("khmer", "km", "ខ្មែរ", "ခမာ", "ຂະແມ", "tiếng khmer", "高棉语"),
    "lo": ("lao", "lo", "ລາວ", "လာအို", "ឡាវ", "tiếng lào", "老挝语"),
    "vi": ("vietnamese", "vi", "tiếng việt", "việt", "ဗီယက်နမ်", "វៀតណាម", "ຫວຽດ", "越南语"),
    "zh": ("chinese", "zh", "中文", "汉语", "华语", "တရုတ်", "ចិន", "ຈີນ", "tiếng trung"),
}

# Currency words people write after a number.
CURRENCY_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "MMK": ("mmk", "kyat", "kyats", "ks", "k", "ကျပ်", "缅币"),
    "CNY": ("cny", "yuan", "rmb", "元", "人民币", "块", "ယွမ်"),
    "KHR": ("khr", "riel", "riels", "៛", "រៀល"),
    "LAK": ("lak", "kip", "₭", "ກີບ"),
    "VND": ("vnd", "dong", "đồng", "đ", "₫", "nghìn đồng"),
    "USD": ("usd", "$", "dollar", "dollars", "us$", "ដុល្លារ", "ໂດລາ", "ဒေါ်လာ", "美元"),
    "THB": ("thb", "baht", "฿", "ບາດ", "ဘတ်"),
}

# "moves 10%" and "above"/"below" in subscriptions.
ABOVE_WORDS: Final = ("above", "over", "more than", "trên", "高于", "超过", "ကျော်", "លើស", "ເກີນ")
BELOW_WORDS: Final = ("below", "under", "less than", "dưới", "低于", "အောက်", "ក្រោម", "ຕ່ຳກວ່າ")
