"""Words that mean something else: everyday words are not commands, a stop is a stop only when
it is one, names are found only where they stand as words, and the replies say how to undo."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import select

from app.commands.parse import Parser, load_parser
from app.core.db import Database
from app.producers.addresses import find_by_urn
from app.producers.models import ProducerStatus, Subscription
from tests.commands.conftest import PHONE, Ask
from tests.commands.test_corpus import describe


@pytest.fixture
async def parser(database: Database, seeded: None) -> Parser:
    async with database.session() as s:
        return await load_parser(s)


def parsed(parser: Parser, text: str) -> dict[str, Any]:
    return {k: v for k, v in describe(parser, parser.parse(text)).items() if v is not None}


# --- opting out ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop!",
        "STOPALL",
        "stop all",
        "UNSUBSCRIBE",
        "END",
        "QUIT",
        "ရပ်",
        "ရပ်ပါ",
        "ឈប់",
        "ຢຸດ",
        "dừng",
        "ngừng",
        "từ chối",
        "tu choi",
        "TC",
        "退订",
        "TD",
        "取消订阅",
    ],
)
def test_an_opt_out_standing_alone_stops_everything(parser: Parser, text: str) -> None:
    assert parsed(parser, text) == {"intent": "unsubscribe"}


@pytest.mark.parametrize(
    "text",
    [
        # folded, these read as dừng or hủy, and also as a name or "right": ask
        "DUNG",
        "dung",
        "HUY",
        "Huy",
        "tôi là Huy",
        # the Cancel button's label typed as text
        "取消",
        "បោះបង់",
        "ຍົກເລີກ",
        "hủy",
        "မလုပ်တော့ပါ",
        # a stop word in a sentence, or with no product to stop
        "please stop",
        "dừng xe ở đâu?",
        "သတိပေးချက် ရပ်ပါ",
        "stop sending",
    ],
)
def test_a_word_that_only_might_mean_stop_is_asked_about(parser: Parser, text: str) -> None:
    assert parsed(parser, text)["intent"] == "maybe_stop"


@pytest.mark.parametrize(
    "text",
    [
        "Đúng",
        "ĐÚNG",
        "đúng rồi",
        "dung roi",
        "Đúng vậy",
        "dùng",
        "Dũng",
        "tất cả",
        "tat ca",
        "yes",
        "ok",
        "vâng",
        "ဟုတ်ကဲ့",
        "បាទ",
        "ແມ່ນແລ້ວ",
        "是的",
        "好",
    ],
)
def test_yes_and_everyday_words_are_no_command(parser: Parser, text: str) -> None:
    assert parsed(parser, text)["intent"] == "unknown"


def test_a_stop_with_a_product_ends_that_alert(parser: Parser) -> None:
    assert parsed(parser, "STOP MANGO MUSE") == {
        "intent": "unsubscribe",
        "commodity": "mango",
        "market": "muse",
    }
    # Burmese puts the verb last: "mango alert, stop it"
    assert parsed(parser, "သရက်သီး သတိပေးချက် ရပ်ပါ") == {
        "intent": "unsubscribe",
        "commodity": "mango",
    }
    assert parsed(parser, "取消 芒果")["intent"] == "unsubscribe"


# --- names inside other words -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "commodity"),
    [
        ("giá của chè", "tea"),  # của (of) is not cua (crab)
        ("của tôi", None),
        ("lúa", None),  # rice plant, not lụa (silk)
        ("cà phê", None),  # not cá (fish)
        ("cả nhà", None),
        ("mấy giờ rồi", None),  # how many, not mây (rattan)
        ("ប៉ុន្តែ", None),  # "but" holds តែ (tea)
        ("ខ្ញុំមានតែមួយ", None),  # "only one"
        ("រាត្រីសួស្តី", None),  # good night holds ត្រី (fish)
        ("ຊາວຄົນ", None),  # twenty people holds ຊາ (tea)
        ("ຜູ້ຊາຍ", None),
        ("ငါးထောင်", None),  # five thousand, not fish
        ("ငါးယောက်", None),
        ("ပိုးသတ်ဆေး", None),  # pesticide holds ပိုး (silk)
        ("喝茶吧", None),
        # the names themselves, alone or with a price word
        ("giá cá", "fish"),
        ("tơ lụa", "silk"),
        ("gốm", "ceramics"),
        ("តម្លៃតែ", "tea"),
        ("ລາຄາຊາ", "tea"),
        ("ငါး ဖျာပုံ", "fish"),
        ("ပိုး ဈေး", "silk"),
    ],
)
def test_names_are_found_only_where_they_stand_as_words(
    parser: Parser, text: str, commodity: str | None
) -> None:
    assert parsed(parser, text).get("commodity") == commodity


@pytest.mark.parametrize(
    "text", ["cua", "lua", "ca", "may", "gom", "to", "I am Tom", "I'm fine", "chúc may mắn"]
)
def test_unaccented_words_that_could_be_names_ask_no_price(parser: Parser, text: str) -> None:
    """Typed without accents, "cua" may be crab or "của": alone it is not a price question."""
    assert parsed(parser, text)["intent"] == "unknown"


def test_an_unaccented_name_is_used_when_nothing_surer_is_named(parser: Parser) -> None:
    assert parsed(parser, "gia cua")["variety"] == "live-crab"
    assert parsed(parser, "gia cua che")["commodity"] == "tea"
    assert parsed(parser, "gom su bat trang")["commodity"] == "ceramics"
    assert parsed(parser, "SELL SILK FINE 20KG 70USD")["variety"] == "fine-yarn"
    assert parsed(parser, "to")["intent"] == "unknown"  # English "to" is no silk (tơ)


def test_an_accent_typed_wrong_is_still_forgiven_where_no_word_is_meant(parser: Parser) -> None:
    assert parsed(parser, "gía xoài") == {"intent": "price", "commodity": "mango"}


# --- the whole message decides -----------------------------------------------------------------


def test_quote_words_ask_for_a_price_unless_a_price_is_given(parser: Parser) -> None:
    assert parsed(parser, "báo giá xoài") == {"intent": "price", "commodity": "mango"}
    assert parsed(parser, "报价 芒果")["intent"] == "price"
    assert parsed(parser, "báo giá chè 32000 đ/kg")["intent"] == "report"


def test_a_question_mark_is_help_only_alone(parser: Parser) -> None:
    assert parsed(parser, "?") == {"intent": "help"}
    assert parsed(parser, "သရက်သီး မူဆယ်?") == {
        "intent": "price",
        "commodity": "mango",
        "market": "muse",
    }
    assert parsed(parser, "ស្វាយ មូសេ?")["intent"] == "price"


def test_a_join_word_in_a_sentence_subscribes_to_nothing(parser: Parser) -> None:
    assert parsed(parser, "tôi muốn tham gia họp")["intent"] == "unknown"
    assert parsed(parser, "提醒我明天开会")["intent"] == "unknown"
    assert parsed(parser, "JOIN")["intent"] == "subscribe"


# --- amounts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("báo giá xoài muse 12k", 12000, "VND"),
        ("bán chè 100 kg 120 nghìn đồng", 120000, "VND"),
        ("bán chè 100 kg 2 triệu", 2000000, "VND"),
        ("report mango muse 12000 k", 12000, "MMK"),  # "k" is the kyat outside Vietnamese
        ("出售 芒果 5吨 1.2万元", 12000, "CNY"),
    ],
)
def test_amounts_with_thousands_words(
    parser: Parser, text: str, amount: int, currency: str
) -> None:
    got = parsed(parser, text)
    assert (got["amount"], got["currency"]) == (Decimal(amount), currency)


def test_a_number_inside_a_name_is_no_amount(parser: Parser) -> None:
    assert parsed(parser, "105码 芒果") == {
        "intent": "price",
        "commodity": "mango",
        "market": "muse",
    }


# --- catalogue names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "variety"),
    [
        ("ត្រីហ៊ីលសា", "hilsa"),
        ("ត្រីរ៉ូហ៊ូ", "rohu"),
        ("ត្រីដាវ", "ribbon-fish"),
        ("ປາຮິລຊາ", "hilsa"),
        ("ປາໂຣຮູ", "rohu"),
        ("ປາຈາລະເມັດຂາວ", "white-pomfret"),
        ("ປາໄຫຼເປັນ", "live-eel"),
        ("ປາດາບເງິນ", "ribbon-fish"),
    ],
)
def test_fish_names_in_khmer_and_lao(parser: Parser, text: str, variety: str) -> None:
    assert parsed(parser, text) == {"intent": "price", "commodity": "fish", "variety": variety}


def test_place_names(parser: Parser) -> None:
    assert parsed(parser, "ສຽມລາບ")["market"] == "siem-reap"
    assert parsed(parser, "瓦城 芒果")["market"] == "mandalay"
    assert parsed(parser, "105码")["market"] == "muse"
    names = parser.display_names("market_id", [parser.parse("ສຽມລາບ").market_id])
    assert [n["lo"] for n in names.values()] == ["ສຽມລາບ"]


# --- through the handler -----------------------------------------------------------------------


async def status_and_alerts(database: Database) -> tuple[ProducerStatus, int]:
    async with database.session() as s:
        producer = await find_by_urn(s, PHONE)
        assert producer is not None
        alerts = (
            await s.exec(select(Subscription).where(Subscription.producer_id == producer.id))
        ).all()
        return producer.status, len(alerts)


async def test_yes_never_unsubscribes(database: Database, seeded: None, ask: Ask) -> None:
    await ask("JOIN chè thái nguyên", urn=PHONE, locale="vi")
    for text in ("Đúng", "đúng rồi", "dùng", "tất cả", "yes", "ok"):
        await ask(text, locale="vi")
    assert await status_and_alerts(database) == (ProducerStatus.ACTIVE, 1)


async def test_maybe_stop_asks_and_stop_confirms(
    database: Database, seeded: None, ask: Ask
) -> None:
    await ask("JOIN MANGO MUSE", locale="en")
    assert await ask("HUY", locale="en") == ["Stop all messages from MIC? Reply STOP to confirm."]
    assert await ask("yes", locale="en") == ["Sorry, not understood. Try: MANGO MUSE, or HELP."]
    assert await status_and_alerts(database) == (ProducerStatus.ACTIVE, 1)
    assert await ask("STOP", locale="en") == [
        "You will get no more messages. Send JOIN to start again."
    ]
    assert (await status_and_alerts(database))[0] is ProducerStatus.STOPPED


async def test_cancel_stops_by_sms_and_asks_on_telegram(
    database: Database, seeded: None, ask: Ask
) -> None:
    await ask("JOIN MANGO MUSE", locale="en")
    # the same producer on Telegram, where "Cancel" is a button's label
    assert await ask("cancel", channel="telegram", locale="en") == [
        "Stop all messages from MIC? Reply STOP to confirm."
    ]
    assert await ask("取消", locale="en") == ["Stop all messages from MIC? Reply STOP to confirm."]
    assert (await status_and_alerts(database))[0] is ProducerStatus.ACTIVE
    assert await ask("CANCEL", locale="en") == [
        "You will get no more messages. Send JOIN to start again."
    ]
    assert (await status_and_alerts(database))[0] is ProducerStatus.STOPPED


@pytest.mark.parametrize(
    ("locale", "join"),
    [
        ("en", "JOIN MANGO MUSE"),
        ("my", "JOIN သရက်သီး မူဆယ်"),
        ("km", "JOIN ស្វាយ មូសេ"),
        ("lo", "JOIN ໝາກມ່ວງ ມູເຊ"),
        ("vi", "JOIN xoài muse"),
        ("zh", "JOIN 芒果 木姐"),
    ],
)
async def test_the_alert_reply_shows_the_stop_for_that_alert_and_it_works(
    database: Database, seeded: None, ask: Ask, locale: str, join: str
) -> None:
    from app.text.sms import segments

    await ask("JOIN HILSA", locale=locale)
    [reply] = await ask(join, locale=locale)
    assert segments(reply) <= 2
    stop = reply[reply.index("STOP") :].rstrip("។။.")
    stop = stop.split(" ပို့ပါ")[0]  # Burmese puts the verb after the command
    assert stop.count(" ") >= 2, reply  # STOP, the product and the market
    [ended] = await ask(stop, locale=locale)
    assert await status_and_alerts(database) == (ProducerStatus.ACTIVE, 1), ended  # hilsa stays
    assert await ask(stop, locale=locale) != [ended]  # nothing left to end: said so


def test_help_fits_one_sms_segment_in_every_language() -> None:
    from app.commands import replies
    from app.core.i18n import LOCALES, translator
    from app.text.sms import segments

    for locale in LOCALES:
        assert segments(translator(locale).gettext(replies.HELP)) == 1, locale


def test_wording() -> None:
    from app.commands import replies
    from app.core.i18n import translator

    vi, zh, my = translator("vi"), translator("zh"), translator("my")
    for message in (replies.SUBSCRIBED, replies.STOPPED_ONE, "Alert me on this"):
        assert "báo giá" not in vi.gettext(message).lower()
        assert "tin giá" in vi.gettext(message).lower()
    assert "退订" in zh.gettext(replies.HELP) and "退订" in zh.gettext(replies.CONFIRM_STOP)
    assert zh.gettext(replies.AS_OF).startswith("截至")
    assert my.gettext(replies.AS_OF) != "{date} ၊ {source}"  # "as of" is said, not dropped
