"""The words that say what a producer wants, in each language (currency words are
app.prices.currencies' alias table).

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
    ALERTS = "alerts"  # list the producer's alerts
    DAILY = "daily"  # a daily summary: DAILY 18:00 moves them, ALERT MANGO DAILY makes one
    LANGUAGE = "language"
    SCRIPT = "script"  # the producer's script: SCRIPT LATIN (app.commands.romanised)
    HELP = "help"
    MAYBE_STOP = "maybe_stop"  # sounds like stopping, but not surely: ask before acting
    UNKNOWN = "unknown"


# intent -> locale -> words. Matching folds case and Vietnamese accents ("gia" finds "giá"), but
# accents a producer typed are respected where an everyday word folds alike (see common_words).
KEYWORDS: Final[dict[Intent, dict[str, tuple[str, ...]]]] = {
    Intent.PRICE: {
        "en": ("price", "prices", "how much", "rate", "cost"),
        "my": ("ဈေး", "စျေး", "ဈေးနှုန်း", "စျေးနှုန်း", "ဘယ်လောက်"),
        "km": ("តម្លៃ", "ប៉ុន្មាន"),
        "lo": ("ລາຄາ", "ເທົ່າໃດ"),
        "vi": ("giá", "bao nhiêu"),  # "giá cả" is "giá" and the everyday "cả": not "giá cá"
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
        # What carriers and users send to opt out, in every language. Alone, they stop every
        # message; with a product, that product's alerts; anywhere else, MIC asks first.
        "en": ("stop", "unsubscribe", "stopall", "stop all", "cancel", "end", "quit", "opt out"),
        "my": ("ရပ်", "ရပ်ပါ", "ရပ်ဆိုင်း", "မလိုချင်", "မလုပ်တော့ပါ"),
        "km": ("ឈប់", "បោះបង់"),
        "lo": ("ຢຸດ", "ຍົກເລີກ"),
        "vi": ("dừng", "hủy", "huỷ", "ngừng", "tắt", "từ chối", "tc"),
        "zh": ("退订", "td", "停止", "取消订阅", "取消"),
    },
    Intent.REPORT: {
        "en": ("report", "+p"),
        "my": ("သတင်းပို့",),
        "km": ("រាយការណ៍",),
        "lo": ("ລາຍງານ",),
        "vi": ("báo giá",),
        "zh": ("上报", "报价"),
    },  # "báo giá" and "报价" also ask for a quote: a report only with a price (QUOTE_WORDS)
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
    # Listing changes nothing, so a word that is also everyday talk costs only a list.
    Intent.ALERTS: {
        "en": ("alerts", "my alerts"),
        "my": ("သတိပေးချက်များ",),
        "km": ("ការជូនដំណឹងរបស់ខ្ញុំ",),
        "lo": ("ລາຍການແຈ້ງເຕືອນ",),
        "vi": ("cảnh báo của tôi", "ds cảnh báo"),
        "zh": ("我的提醒", "提醒列表"),
    },
    # A daily word changes something only next to a time ("DAILY 18:00") or a join word
    # ("ALERT MANGO MUSE DAILY"): "mango price every day" is still a question (parse._intent).
    Intent.DAILY: {
        "en": ("daily", "digest", "every day"),
        "my": ("နေ့စဉ်",),
        "km": ("ប្រចាំថ្ងៃ",),
        "lo": ("ປະຈຳວັນ",),
        "vi": ("hằng ngày", "hàng ngày", "mỗi ngày"),
        "zh": ("每日", "每天"),
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

# Opt-out words that never stop every message on their own, because they also mean something
# else: the Telegram Cancel button's label in each language (a producer who types it is leaving
# a menu) and words of everyday talk. Alone, MIC asks "stop all messages?" first.
ASK_BEFORE_STOPPING: Final = frozenset(
    {"取消", "បោះបង់", "ຍົກເລີກ", "hủy", "huỷ", "မလုပ်တော့ပါ", "မလိုချင်", "tắt"}
)
# The carriers' CANCEL is also the English label of that button: alone it stops everything by
# SMS, where carriers expect it to, and asks first on Telegram.
BUTTON_LABEL_OPT_OUTS: Final = frozenset({"cancel"})
# REPORT words that also ask for a price ("báo giá xoài?" is a question): a report needs a number.
QUOTE_WORDS: Final = frozenset({"báo giá", "报价"})
# The keyword that is HELP only when it is the whole message ("သရက်သီး မူဆယ်?" asks a price).
ONLY_ALONE: Final = frozenset({"?"})

# Words for the six languages themselves, for LANGUAGE commands ("language မြန်မာ").
LANGUAGE_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "en": ("english", "eng", "en", "အင်္ဂလိပ်", "អង់គ្លេស", "ອັງກິດ", "tiếng anh", "英语", "英文"),
    "my": ("burmese", "myanmar", "my", "မြန်မာ", "ភាសាភូមា", "ມຽນມາ", "tiếng miến", "缅甸语", "缅语"),
    "km": ("khmer", "km", "ខ្មែរ", "ခမာ", "ຂະແມ", "tiếng khmer", "高棉语"),
    "lo": ("lao", "lo", "ລາວ", "လာအို", "ឡាវ", "tiếng lào", "老挝语"),
    "vi": ("vietnamese", "vi", "tiếng việt", "việt", "ဗီယက်နမ်", "វៀតណាម", "ຫວຽດ", "越南语"),
    "zh": ("chinese", "zh", "中文", "汉语", "华语", "တရုတ်", "ចិន", "ຈີນ", "tiếng trung"),
}

# Words after a number that multiply it, per language: "12k" and "120 nghìn" are thousands of
# dong in Vietnamese (where "k" is no kyat), "1.2万" is 12 000 in Chinese.
MULTIPLIERS: Final[dict[str, dict[str, int]]] = {
    "vi": {"k": 1000, "nghìn": 1000, "ngàn": 1000, "triệu": 1_000_000, "tr": 1_000_000},
    "zh": {"千": 1000, "万": 10_000},
}
# The currency a multiplied amount is in when no currency word follows: "12k" in Vietnamese.
MULTIPLIER_CURRENCY: Final[dict[str, str]] = {"vi": "VND"}

# "moves 10%" and "above"/"below" in subscriptions.
ABOVE_WORDS: Final = ("above", "over", "more than", "trên", "高于", "超过", "ကျော်", "លើស", "ເກີນ")
BELOW_WORDS: Final = ("below", "under", "less than", "dưới", "低于", "အောက်", "ក្រោម", "ຕ່ຳກວ່າ")
