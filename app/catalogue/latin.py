"""The Latin names of the demo catalogue: what Burmese, Khmer and Lao readers on phones that
cannot draw their script read in place of the native name, and what they type.

These are the spellings people text and see on signs ("Muse", "Siem Reap", "svay"), not a
scholarly transliteration: ICU's Myanmar-Latin gives "muusaal" for Muse, and ICU has none for
Khmer or Lao. Plain ASCII, so that a message built from them stays GSM-7. A string stands for
all three romanised locales; a dict gives each its own word (a mango is "thayet thee" in
Burmese, "svay" in Khmer, "mak muang" in Lao). tests/catalogue/test_latin.py holds every entry
of the demo catalogue to having one.
"""

from __future__ import annotations

from typing import Final

from app.core.i18n import ROMANISED

LatinName = str | dict[str, str]  # one spelling for all romanised locales, or one per language


def _each(my: str, km: str, lo: str) -> dict[str, str]:
    return {ROMANISED["my"]: my, ROMANISED["km"]: km, ROMANISED["lo"]: lo}


COUNTRIES: Final[dict[str, LatinName]] = {
    "MM": _each("Myanmar", "Myanmar", "Myanmar"),
    "KH": _each("Cambodia", "Kampuchea", "Kampuchia"),
    "LA": _each("Lao", "Lao", "Lao"),
    "VN": _each("Vietnam", "Vietnam", "Viatnam"),
}

UNITS: Final[dict[str, LatinName]] = {
    "kg": _each("kilo", "kilo", "kilo"),
    "viss": _each("peittha", "viss", "viss"),
    "tonne": _each("tan", "taon", "ton"),
    "basket-16kg": _each("taung (16 kilo)", "kanhchae (16 kilo)", "kata (16 kilo)"),
    "piece": _each("khu", "dom", "an"),
}

MARKETS: Final[dict[str, LatinName]] = {
    "muse": "Muse",
    "mandalay": "Mandalay",
    "yangon-thiri-mingalar": "Thiri Mingalar",
    "yangon-san-pya": "San Pya",
    "pyapon": "Pyapon",
    "phnom-srok": "Phnom Srok",
    "siem-reap": "Siem Reap",
    "phnom-penh": "Phnom Penh",
    "vientiane": _each("Vientiane", "Vientiane", "Vientiane"),
    "thai-nguyen": "Thai Nguyen",
    "hanoi": "Hanoi",
    "bat-trang": "Bat Trang",
}

COMMODITIES: Final[dict[str, LatinName]] = {
    "mango": _each("thayet thee", "svay", "mak muang"),
    "fish": _each("nga", "trey", "pa"),
    "silk": _each("po", "sot", "mai"),
    "tea": _each("lahpet", "tae", "sa"),
    "rattan": _each("kyein", "pdao", "wai"),
    "ceramics": _each("kyway htal", "kreung smoun", "kheuang pan din phao"),
}

# commodity slug / variety slug
VARIETIES: Final[dict[str, LatinName]] = {
    "mango/sein-ta-lone": "Sein Ta Lone",
    "mango/shwe-hin-thar": "Shwe Hin Thar",
    "mango/yin-kwe": "Yin Kwe",
    "fish/hilsa": _each("nga thalaut", "trey hilsa", "pa hilsa"),
    "fish/rohu": _each("nga myit chin", "trey rohu", "pa rohu"),
    "fish/prawn": _each("pazun", "bangkea", "kung"),
    "fish/white-pomfret": _each("nga mway lwe", "trey chab sar", "pa jalamet khao"),
    "fish/live-crab": _each("ganan a shin", "kdam ros", "pu"),
    "fish/live-eel": _each("nga shint a shin", "antong ros", "pa lai"),
    "fish/ribbon-fish": _each("nga da gon", "trey dao", "pa dab"),
    "silk/fine-yarn": _each("po chi nu", "sot lit", "mai la-iat"),
    "silk/mixed-yarn": _each("po chi yaw", "sot chamruh", "mai pasom"),
    "silk/rough-yarn": _each("po chi kyan", "sot kroem", "mai nyab"),
    "silk/fabric": _each("po htal", "kronat sot", "pha mai"),
    "tea/fresh-leaf": _each("lahpet sein", "slek tae sros", "bai sa sot"),
    "tea/green": _each("lahpet sein chauk", "tae baitong", "sa khiao"),
    "tea/black": _each("lahpet nyo", "tae khmao", "sa dam"),
}


def names_for(name: LatinName) -> dict[str, str]:
    """The display name of one entry in every romanised locale."""
    if isinstance(name, str):
        return dict.fromkeys(ROMANISED.values(), name)
    return dict(name)
