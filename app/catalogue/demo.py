"""The demo catalogue: the CLMV clusters of the 2013 Mekong Institute study and their markets.

Only reference data lives here (names, places, units); no prices. Display names are given per
locale in the locale's own script; extra aliases are other spellings that people type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from app.catalogue.models import MarketKind

Names = dict[str, str]
Aliases = dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class CountrySeed:
    code: str
    name: str
    currency: str
    timezone: str
    default_locale: str
    names: Names


@dataclass(frozen=True)
class UnitSeed:
    code: str
    name: str
    kg_factor: Decimal | None
    names: Names
    aliases: Aliases = field(default_factory=dict)


@dataclass(frozen=True)
class MarketSeed:
    slug: str
    name: str
    kind: MarketKind
    country: str
    timezone: str
    currency: str
    latitude: float
    longitude: float
    description: str
    names: Names
    aliases: Aliases = field(default_factory=dict)


@dataclass(frozen=True)
class VarietySeed:
    slug: str
    name: str
    names: Names
    aliases: Aliases = field(default_factory=dict)


@dataclass(frozen=True)
class CommoditySeed:
    slug: str
    name: str
    default_unit: str
    names: Names
    varieties: tuple[VarietySeed, ...]
    aliases: Aliases = field(default_factory=dict)


COUNTRIES = (
    CountrySeed(
        "MM",
        "Myanmar",
        "MMK",
        "Asia/Yangon",
        "my",
        {
            "en": "Myanmar",
            "my": "မြန်မာ",
            "km": "មីយ៉ាន់ម៉ា",
            "lo": "ມຽນມາ",
            "vi": "Myanmar",
            "zh": "缅甸",
        },
    ),
    CountrySeed(
        "KH",
        "Cambodia",
        "KHR",
        "Asia/Phnom_Penh",
        "km",
        {
            "en": "Cambodia",
            "my": "ကမ္ဘောဒီးယား",
            "km": "កម្ពុជា",
            "lo": "ກຳປູເຈຍ",
            "vi": "Campuchia",
            "zh": "柬埔寨",
        },
    ),
    CountrySeed(
        "LA",
        "Lao PDR",
        "LAK",
        "Asia/Vientiane",
        "lo",
        {"en": "Lao PDR", "my": "လာအို", "km": "ឡាវ", "lo": "ລາວ", "vi": "Lào", "zh": "老挝"},
    ),
    CountrySeed(
        "VN",
        "Viet Nam",
        "VND",
        "Asia/Ho_Chi_Minh",
        "vi",
        {
            "en": "Viet Nam",
            "my": "ဗီယက်နမ်",
            "km": "វៀតណាម",
            "lo": "ຫວຽດນາມ",
            "vi": "Việt Nam",
            "zh": "越南",
        },
    ),
)

UNITS = (
    UnitSeed(
        "kg",
        "kilogram",
        Decimal("1"),
        {"en": "kg", "my": "ကီလို", "km": "គីឡូ", "lo": "ກິໂລ", "vi": "kg", "zh": "公斤"},
        {
            "en": ("kilo", "kilogram", "kgs"),
            "vi": ("ký", "cân"),
            "zh": ("千克",),
            "lo": ("ກິໂລກຣາມ",),
        },
    ),
    UnitSeed(
        "viss",
        "viss",
        Decimal("1.633"),
        {"en": "viss", "my": "ပိဿာ", "km": "វីស", "lo": "ວິສ", "vi": "viss", "zh": "缅斤"},
        {"en": ("peittha",)},
    ),
    UnitSeed(
        "tonne",
        "tonne",
        Decimal("1000"),
        {"en": "tonne", "my": "တန်", "km": "តោន", "lo": "ໂຕນ", "vi": "tấn", "zh": "吨"},
        {"en": ("ton", "tons", "tonnes", "t")},
    ),
    UnitSeed(
        "basket-16kg",
        "basket (16 kg)",
        Decimal("16"),
        {
            "en": "basket (16 kg)",
            "my": "တောင်း (၁၆ ကီလို)",
            "km": "កញ្ជើ (១៦ គីឡូ)",
            "lo": "ກະຕ່າ (16 ກິໂລ)",
            "vi": "sọt (16 kg)",
            "zh": "筐 (16公斤)",
        },
        {
            "en": ("basket", "baskets"),
            "my": ("တောင်း",),
            "km": ("កញ្ជើ",),
            "lo": ("ກະຕ່າ",),
            "vi": ("sọt",),
            "zh": ("筐",),
        },
    ),
    UnitSeed(
        "piece",
        "piece",
        None,
        {"en": "piece", "my": "ခု", "km": "ដុំ", "lo": "ອັນ", "vi": "cái", "zh": "个"},
        {"en": ("pc", "pcs", "pieces")},
    ),
)

_MM, _KH, _LA, _VN = "Asia/Yangon", "Asia/Phnom_Penh", "Asia/Vientiane", "Asia/Ho_Chi_Minh"

MARKETS = (
    MarketSeed(
        "muse",
        "Muse",
        MarketKind.BORDER,
        "MM",
        _MM,
        "CNY",
        23.9766,
        97.9003,
        "Border trade zone on the China road (105th Mile); mango buyers quote in yuan.",
        {"en": "Muse", "my": "မူဆယ်", "km": "មូសេ", "lo": "ມູເຊ", "vi": "Muse", "zh": "木姐"},
        {"en": ("105 mile", "105th mile"), "zh": ("木姐边贸区", "105码")},
    ),
    MarketSeed(
        "mandalay",
        "Mandalay",
        MarketKind.WHOLESALE,
        "MM",
        _MM,
        "MMK",
        21.9588,
        96.0891,
        "Wholesale hub for Upper Myanmar mango before it goes to Muse.",
        {
            "en": "Mandalay",
            "my": "မန္တလေး",
            "km": "ម៉ាន់ដាឡេ",
            "lo": "ມັນດາເລ",
            "vi": "Mandalay",
            "zh": "曼德勒",
        },
        {"zh": ("瓦城",)},
    ),
    MarketSeed(
        "yangon-thiri-mingalar",
        "Yangon Thiri Mingalar",
        MarketKind.WHOLESALE,
        "MM",
        _MM,
        "MMK",
        16.8466,
        96.1274,
        "Yangon's fruit and vegetable wholesale market.",
        {
            "en": "Yangon Thiri Mingalar",
            "my": "သီရိမင်္ဂလာဈေး",
            "km": "យ៉ាំងហ្គោន ធីរីមីងហ្គាឡា",
            "lo": "ຢາງກຸ້ງ ທີຣິມິງກາລາ",
            "vi": "Chợ Thiri Mingalar (Yangon)",
            "zh": "仰光帝里明加拉批发市场",
        },
        {"en": ("thiri mingalar", "thiri mingala"), "my": ("သီရိမင်္ဂလာ",)},
    ),
    MarketSeed(
        "yangon-san-pya",
        "Yangon San Pya",
        MarketKind.WHOLESALE,
        "MM",
        _MM,
        "MMK",
        16.7746,
        96.1496,
        "Yangon's wholesale fish market (San Pya fish depot).",
        {
            "en": "Yangon San Pya",
            "my": "ဆန်ပြငါးဒိုင်",
            "km": "យ៉ាំងហ្គោន សានព្យា",
            "lo": "ຢາງກຸ້ງ ຊານປະຢາ",
            "vi": "Chợ cá San Pya (Yangon)",
            "zh": "仰光桑比亚鱼市",
        },
        {"en": ("san pya", "sanpya"), "my": ("ဆန်ပြ",)},
    ),
    MarketSeed(
        "pyapon",
        "Pyapon",
        MarketKind.FARMGATE,
        "MM",
        _MM,
        "MMK",
        16.2853,
        95.6786,
        "Ayeyarwady delta fishing town where catches are landed and sold.",
        {"en": "Pyapon", "my": "ဖျာပုံ", "km": "ភ្យាពន", "lo": "ພະຍາປົງ", "vi": "Pyapon", "zh": "壁磅"},
    ),
    MarketSeed(
        "phnom-srok",
        "Phnom Srok",
        MarketKind.FARMGATE,
        "KH",
        _KH,
        "KHR",
        13.8667,
        103.3833,
        "Silk weaving villages of Banteay Meanchey.",
        {
            "en": "Phnom Srok",
            "my": "ဖနွမ်စရော့",
            "km": "ភ្នំស្រុក",
            "lo": "ພະນົມສະຣຸກ",
            "vi": "Phnom Srok",
            "zh": "普农斯洛",
        },
    ),
    MarketSeed(
        "siem-reap",
        "Siem Reap",
        MarketKind.RETAIL,
        "KH",
        _KH,
        "KHR",
        13.3633,
        103.8564,
        "Tourist retail market, 90 minutes from Phnom Srok, where silk scarves are sold.",
        {
            "en": "Siem Reap",
            "my": "ဆီအမ်ရိပ်",
            "km": "សៀមរាប",
            "lo": "ສຽມລາບ",
            "vi": "Xiêm Riệp",
            "zh": "暹粒",
        },
        {"vi": ("Siem Reap",), "lo": ("ເສຍມລາບ", "ເສຍມຣາບ")},
    ),
    MarketSeed(
        "phnom-penh",
        "Phnom Penh",
        MarketKind.WHOLESALE,
        "KH",
        _KH,
        "KHR",
        11.5564,
        104.9282,
        "Capital wholesale and retail markets.",
        {
            "en": "Phnom Penh",
            "my": "ဖနွမ်းပင်",
            "km": "ភ្នំពេញ",
            "lo": "ພະນົມເປັນ",
            "vi": "Phnôm Pênh",
            "zh": "金边",
        },
    ),
    MarketSeed(
        "vientiane",
        "Vientiane",
        MarketKind.WHOLESALE,
        "LA",
        _LA,
        "LAK",
        17.9757,
        102.6331,
        "Capital market for Lao silk and furniture.",
        {
            "en": "Vientiane",
            "my": "ဗီယင်ကျန်း",
            "km": "វៀងចន្ទន៍",
            "lo": "ວຽງຈັນ",
            "vi": "Viêng Chăn",
            "zh": "万象",
        },
    ),
    MarketSeed(
        "thai-nguyen",
        "Thai Nguyen",
        MarketKind.WHOLESALE,
        "VN",
        _VN,
        "VND",
        21.5942,
        105.8482,
        "Tea-growing province of northern Viet Nam.",
        {
            "en": "Thai Nguyen",
            "my": "ထိုင်ငုယင်",
            "km": "ថៃង្វៀន",
            "lo": "ໄທງວຽນ",
            "vi": "Thái Nguyên",
            "zh": "太原",
        },
    ),
    MarketSeed(
        "hanoi",
        "Hanoi",
        MarketKind.WHOLESALE,
        "VN",
        _VN,
        "VND",
        21.0285,
        105.8542,
        "Capital wholesale markets and tea traders.",
        {"en": "Hanoi", "my": "ဟနွိုင်း", "km": "ហាណូយ", "lo": "ຮ່າໂນ້ຍ", "vi": "Hà Nội", "zh": "河内"},
        {"en": ("ha noi",)},
    ),
    MarketSeed(
        "bat-trang",
        "Bat Trang",
        MarketKind.FARMGATE,
        "VN",
        _VN,
        "VND",
        20.9760,
        105.9130,
        "Ceramics village outside Hanoi.",
        {
            "en": "Bat Trang",
            "my": "ဘတ်ထရန်",
            "km": "បាត់ត្រាង",
            "lo": "ບາດຈ່າງ",
            "vi": "Bát Tràng",
            "zh": "钵场",
        },
    ),
)


def _v(slug: str, name: str, names: Names, aliases: Aliases | None = None) -> VarietySeed:
    return VarietySeed(slug, name, {"en": name, **names}, aliases or {})


COMMODITIES = (
    CommoditySeed(
        "mango",
        "Mango",
        "kg",
        {"en": "Mango", "my": "သရက်သီး", "km": "ស្វាយ", "lo": "ໝາກມ່ວງ", "vi": "Xoài", "zh": "芒果"},
        (
            _v(
                "sein-ta-lone",
                "Sein Ta Lone",
                {"my": "စိန်တစ်လုံး", "zh": "钻石芒"},
                {"en": ("seintalone", "sein talone", "sein ta lon"), "my": ("စိန်တလုံး",)},
            ),
            _v(
                "shwe-hin-thar",
                "Shwe Hin Thar",
                {"my": "ရွှေဟင်္သာ", "zh": "金天鹅芒"},
                {"en": ("shwehinthar", "shwe hin tha")},
            ),
            _v("yin-kwe", "Yin Kwe", {"my": "ရင်ကွဲ", "zh": "尹奎芒"}, {"en": ("yinkwe",)}),
        ),
        {"en": ("mangoes", "mangos"), "my": ("သရက်",), "lo": ("ມ່ວງ",), "zh": ("芒",)},
    ),
    CommoditySeed(
        "fish",
        "Fish",
        "kg",
        {"en": "Fish", "my": "ငါး", "km": "ត្រី", "lo": "ປາ", "vi": "Cá", "zh": "鱼"},
        (
            _v(
                "hilsa",
                "Hilsa",
                {"my": "ငါးသလောက်", "km": "ត្រីហ៊ីលសា", "lo": "ປາຮິລຊາ", "vi": "Cá cháy", "zh": "鲥鱼"},
                {"my": ("သလောက်",)},
            ),
            _v(
                "rohu",
                "Rohu",
                {
                    "my": "ငါးမြစ်ချင်း",
                    "km": "ត្រីរ៉ូហ៊ូ",
                    "lo": "ປາໂຣຮູ",
                    "vi": "Cá trôi Ấn Độ",
                    "zh": "南亚野鲮",
                },
            ),
            _v(
                "prawn",
                "Prawn",
                {"my": "ပုစွန်", "km": "បង្គា", "lo": "ກຸ້ງ", "vi": "Tôm", "zh": "虾"},
                {"en": ("prawns", "shrimp")},
            ),
            _v(
                "white-pomfret",
                "White pomfret",
                {
                    "my": "ငါးမွေလွှ",
                    "km": "ត្រីចាបស",
                    "lo": "ປາຈາລະເມັດຂາວ",
                    "vi": "Cá chim trắng",
                    "zh": "白鲳",
                },
                {"en": ("pomfret",)},
            ),
            _v(
                "live-crab",
                "Live crab",
                {"my": "ဂဏန်းအရှင်", "km": "ក្តាមរស់", "lo": "ປູ", "vi": "Cua sống", "zh": "活蟹"},
                {"en": ("crab", "mud crab"), "my": ("ဂဏန်း",), "km": ("ក្តាម",), "vi": ("cua",)},
            ),
            _v(
                "live-eel",
                "Live eel",
                {
                    "my": "ငါးရှဉ့်အရှင်",
                    "km": "អន្ទង់",
                    "lo": "ປາໄຫຼເປັນ",
                    "vi": "Lươn sống",
                    "zh": "活鳝鱼",
                },
                {"en": ("eel",), "my": ("ငါးရှဉ့်",), "lo": ("ປາໄຫຼ",), "vi": ("lươn",)},
            ),
            _v(
                "ribbon-fish",
                "Ribbon fish",
                {"my": "ငါးဓား", "km": "ត្រីដាវ", "lo": "ປາດາບເງິນ", "vi": "Cá hố", "zh": "带鱼"},
                {"en": ("ribbonfish", "hairtail")},
            ),
        ),
        {"my": ("ငါးမျိုး",)},
    ),
    CommoditySeed(
        "silk",
        "Silk",
        "kg",
        {"en": "Silk", "my": "ပိုး", "km": "សូត្រ", "lo": "ໄໝ", "vi": "Tơ lụa", "zh": "丝绸"},
        (
            _v(
                "fine-yarn",
                "Fine silk yarn",
                {"my": "ပိုးချည်ချော", "km": "សូត្រល្អិត", "lo": "ໄໝລະອຽດ", "vi": "Tơ mịn", "zh": "细丝"},
                {"en": ("fine yarn", "fine silk", "fine")},
            ),
            _v(
                "mixed-yarn",
                "Mixed silk yarn",
                {"my": "ပိုးချည်ရော", "km": "សូត្រចម្រុះ", "lo": "ໄໝປະສົມ", "vi": "Tơ pha", "zh": "混合丝"},
                {"en": ("mixed yarn", "mixed silk", "mixed")},
            ),
            _v(
                "rough-yarn",
                "Rough silk yarn",
                {"my": "ပိုးချည်ကြမ်း", "km": "សូត្រគ្រើម", "lo": "ໄໝຫຍາບ", "vi": "Tơ thô", "zh": "粗丝"},
                {"en": ("rough yarn", "rough silk", "rough")},
            ),
            _v(
                "fabric",
                "Silk fabric",
                {"my": "ပိုးထည်", "km": "ក្រណាត់សូត្រ", "lo": "ຜ້າໄໝ", "vi": "Vải lụa", "zh": "丝绸面料"},
                {"en": ("fabric", "silk cloth", "scarf")},
            ),
        ),
        {"vi": ("lụa", "tơ"), "zh": ("丝", "蚕丝")},
    ),
    CommoditySeed(
        "tea",
        "Tea",
        "kg",
        {"en": "Tea", "my": "လက်ဖက်", "km": "តែ", "lo": "ຊາ", "vi": "Chè", "zh": "茶"},
        (
            _v(
                "fresh-leaf",
                "Fresh tea leaf",
                {
                    "my": "လက်ဖက်ရွက်စို",
                    "km": "ស្លឹកតែស្រស់",
                    "lo": "ໃບຊາສົດ",
                    "vi": "Chè búp tươi",
                    "zh": "鲜茶叶",
                },
                {"en": ("fresh leaf", "green leaf"), "vi": ("chè tươi",)},
            ),
            _v(
                "green",
                "Green tea",
                {
                    "my": "လက်ဖက်ခြောက်စိမ်း",
                    "km": "តែបៃតង",
                    "lo": "ຊາຂຽວ",
                    "vi": "Chè xanh",
                    "zh": "绿茶",
                },
                {"vi": ("trà xanh",)},
            ),
            _v(
                "black",
                "Black tea",
                {"my": "လက်ဖက်ခြောက်နီ", "km": "តែខ្មៅ", "lo": "ຊາດຳ", "vi": "Chè đen", "zh": "红茶"},
                {"vi": ("trà đen",)},
            ),
        ),
        {"vi": ("trà",), "my": ("လက်ဖက်ခြောက်",)},
    ),
    CommoditySeed(
        "rattan",
        "Rattan",
        "piece",
        {"en": "Rattan", "my": "ကြိမ်", "km": "ផ្តៅ", "lo": "ຫວາຍ", "vi": "Mây", "zh": "藤"},
        (),
    ),
    CommoditySeed(
        "ceramics",
        "Ceramics",
        "piece",
        {
            "en": "Ceramics",
            "my": "ကြွေထည်",
            "km": "គ្រឿងស្មូន",
            "lo": "ເຄື່ອງປັ້ນດິນເຜົາ",
            "vi": "Gốm sứ",
            "zh": "陶瓷",
        },
        (),
        {"en": ("pottery",), "vi": ("gốm",)},
    ),
)
