"""Every template in every locale renders with real values, and a Burmese, Khmer or Lao price
alert never costs more than two SMS segments."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from app.alerts.templates import PriceAlert, render_digest, render_price_alert
from app.catalogue import demo, latin
from app.core.i18n import LOCALES, MESSAGE_LOCALES, ROMANISED, translator
from app.text import sms
from app.text.formatting import Reader, Script
from tests.catalogs import code_messages, placeholders

MARKETS = {m.slug: m for m in demo.MARKETS}
COMMODITIES = {c.slug: c for c in demo.COMMODITIES}
UNITS = {u.code: u for u in demo.UNITS}
SAMPLE = {
    "commodity": "Mango",
    "variety": "Sein Ta Lone",
    "market": "Muse",
    "country": "Myanmar",
    "date": "Nov 27",
    "price": "CN¥12,600/tonne",
    "change": "▲ +5.0%",
    "unit": "tonne",
    "count": 3,
    "what": "Mango Muse",
    "source": "MIC",
    "markets": "Mandalay",
    "buyer": "Ruili Co.",
    "quantity": "20 tonne",
    "contact": "+86 692 000 0000",
    "rate": "291.67",
    "example": "MANGO MUSE",
    "percent": "10",
    "time": "07:00",
    "stop": "STOP Mango Muse",
    "when": "every new price",
    "amount": "13,000",
}


def variety(commodity: str, slug: str) -> demo.Names:
    return next(v.names for v in COMMODITIES[commodity].varieties if v.slug == slug)


# Realistic alerts, the longest names and numbers the demo catalogue has among them.
ALERTS = [
    PriceAlert(
        COMMODITIES["mango"].names,
        MARKETS["muse"].names,
        UNITS["tonne"].names,
        Decimal("12600"),
        "CNY",
        dt.date(2026, 5, 12),
        variety("mango", "sein-ta-lone"),
        Decimal("12000"),
    ),
    PriceAlert(
        COMMODITIES["mango"].names,
        MARKETS["yangon-thiri-mingalar"].names,
        UNITS["basket-16kg"].names,
        Decimal("1500000"),
        "MMK",
        dt.date(2026, 12, 28),
        variety("mango", "shwe-hin-thar"),
        Decimal("1620000"),
    ),
    PriceAlert(
        COMMODITIES["fish"].names,
        MARKETS["yangon-san-pya"].names,
        UNITS["viss"].names,
        Decimal("18500"),
        "MMK",
        dt.date(2026, 9, 30),
        variety("fish", "white-pomfret"),
        Decimal("18500"),
    ),
    PriceAlert(
        COMMODITIES["silk"].names,
        MARKETS["phnom-srok"].names,
        UNITS["kg"].names,
        Decimal("75"),
        "USD",
        dt.date(2026, 11, 27),
        variety("silk", "fine-yarn"),
        Decimal("71.50"),
    ),
    PriceAlert(
        COMMODITIES["silk"].names,
        MARKETS["siem-reap"].names,
        UNITS["piece"].names,
        Decimal("48000"),
        "KHR",
        dt.date(2026, 11, 27),
        variety("silk", "fabric"),
    ),
    PriceAlert(
        COMMODITIES["tea"].names,
        MARKETS["thai-nguyen"].names,
        UNITS["kg"].names,
        Decimal("32000"),
        "VND",
        dt.date(2026, 11, 27),
        variety("tea", "fresh-leaf"),
        Decimal("30000"),
    ),
    PriceAlert(
        COMMODITIES["silk"].names,
        MARKETS["vientiane"].names,
        UNITS["kg"].names,
        Decimal("1250000"),
        "LAK",
        dt.date(2026, 11, 27),
        variety("silk", "rough-yarn"),
        Decimal("1300000"),
    ),
]
READERS = [
    Reader(locale, script, native)
    for locale, script, native in itertools.product(
        LOCALES, (Script.UNICODE, Script.ZAWGYI), (False, True)
    )
    if script is Script.UNICODE or locale == "my"
]


@pytest.mark.parametrize("locale", MESSAGE_LOCALES)
def test_every_template_renders_in_every_locale(locale: str) -> None:
    t = translator(locale)
    for message in code_messages():
        if isinstance(message, tuple):
            rendered = [
                t.ngettext(message[0], message[1], n).format(**SAMPLE) for n in (0, 1, 2, 5)
            ]
        else:
            rendered = [t.gettext(message).format(**SAMPLE)]
        wanted = placeholders(message if isinstance(message, str) else message[0])
        for text in rendered:
            assert "{" not in text and "}" not in text, (locale, message, text)
            for name in wanted:  # every value given is shown
                assert str(SAMPLE[name]) in text, (locale, message, text)


@pytest.mark.parametrize(
    "reader", READERS, ids=lambda r: f"{r.locale}-{r.script}-{r.native_digits}"
)
def test_price_alerts_fit_the_sms_budget(reader: Reader) -> None:
    for alert in ALERTS:
        text = render_price_alert(alert, reader, sms=True)
        info = sms.analyse(text)
        if reader.locale in {"km", "lo", "my"}:
            assert info.segments <= 2, (text, info)
        else:
            assert info.segments <= 3, (text, info)


def test_a_price_alert_in_six_languages() -> None:
    alert = ALERTS[0]
    rendered = {locale: render_price_alert(alert, Reader(locale)) for locale in LOCALES}
    assert rendered["en"] == "Mango (Sein Ta Lone) at Muse (May 12): CN¥12,600/tonne (▲ +5.0%)"
    assert rendered["my"] == "မူဆယ် သရက်သီး (စိန်တစ်လုံး) ဈေး (မေ 12): 12,600\u00a0CN¥/တန် (▲ +5.0%)"
    assert rendered["km"].startswith("តម្លៃស្វាយ (Sein Ta Lone) នៅមូសេ")
    assert rendered["lo"].startswith("ລາຄາໝາກມ່ວງ (Sein Ta Lone) ຢູ່ມູເຊ")
    assert (
        rendered["vi"]
        == "Giá Xoài (Sein Ta Lone) tại Muse (12 thg 5): 12.600\u00a0CN¥/tấn (▲ +5,0%)"
    )
    assert rendered["zh"] == "木姐芒果（钻石芒）价格（5月12日）：¥12,600/吨（▲ +5.0%）"


def test_an_unchanged_price_and_a_first_price() -> None:
    assert "(no change)" in render_price_alert(ALERTS[2], Reader("en"))
    first = render_price_alert(ALERTS[4], Reader("km"))
    assert first.endswith("48,000៛/ដុំ") and "(" in first


def test_digest_counts_what_it_leaves_out_with_plural_forms() -> None:
    day = dt.date(2026, 11, 27)
    assert render_digest(ALERTS[:4], day, Reader("en")).endswith("and 1 more price")
    assert render_digest(ALERTS[:5], day, Reader("en")).endswith("and 2 more prices")
    assert render_digest(ALERTS[:5], day, Reader("vi")).splitlines()[0] == "Giá ngày 27 thg 11:"
    assert render_digest(ALERTS[:5], day, Reader("my", native_digits=True)).endswith("၂ ခု")


def _with_latin(names: demo.Names) -> demo.Names:
    """A demo entry's names plus its Latin ones, as the seeded catalogue holds them."""
    tables: list[tuple[object, str, latin.LatinName]] = [
        (m.names, m.slug, latin.MARKETS[m.slug]) for m in demo.MARKETS
    ]
    tables += [(u.names, u.code, latin.UNITS[u.code]) for u in demo.UNITS]
    tables += [(c.names, c.slug, latin.COMMODITIES[c.slug]) for c in demo.COMMODITIES]
    tables += [
        (v.names, v.slug, latin.VARIETIES[f"{c.slug}/{v.slug}"])
        for c in demo.COMMODITIES
        for v in c.varieties
    ]
    found = next(name for entry, _, name in tables if entry is names)
    return {**names, **latin.names_for(found)}


@pytest.mark.parametrize("locale", sorted(ROMANISED))
def test_latin_price_alerts_are_one_gsm7_segment(locale: str) -> None:
    native = Reader(locale)
    reader = Reader(ROMANISED[locale], Script.LATIN, native_digits=True)
    native_segments = latin_segments = 0
    for alert in ALERTS:
        romanised = PriceAlert(
            _with_latin(alert.commodity),
            _with_latin(alert.market),
            _with_latin(alert.unit),
            alert.price,
            alert.currency,
            alert.observed_on,
            None if alert.variety is None else _with_latin(alert.variety),
            alert.previous,
        )
        text = render_price_alert(romanised, reader, sms=True)
        info = sms.analyse(text)
        assert text.isascii() and info.encoding is sms.Encoding.GSM7, text
        assert info.segments == 1, (text, info)
        latin_segments += info.segments
        native_segments += sms.analyse(render_price_alert(alert, native, sms=True)).segments
    assert latin_segments < native_segments  # the reason to offer it
