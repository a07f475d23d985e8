"""The RSS/Atom buyer-lead parser against the feeds in tests/data/collectors and broken ones."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import pytest

from app.sources.records import CollectorError, LeadRecord, RowProblem
from jobs.collectors import rss_leads

DATA = Path(__file__).resolve().parents[2] / "data" / "collectors"
RSS = (DATA / "leads_feed.rss").read_bytes()
ATOM = (DATA / "leads_feed.atom").read_bytes()


def rss(*items: str) -> bytes:
    body = "".join(f"<item>{item}</item>" for item in items)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Leads</title><link>https://leads.example.org/</link>{body}</channel></rss>"
    ).encode()


def test_rss_feed_with_three_leads() -> None:
    parsed = rss_leads.parse(RSS)

    assert parsed.problems == []
    mango, green_gram, chilli = parsed.records
    assert mango == LeadRecord(
        key="muse-board-lead-4711",
        line=1,
        title="Buying 20 tonnes Sein Ta Lone mango, Muse, CNY 12,000/tonne",
        # Tags gone, list items and paragraphs apart, entities decoded, NBSP a plain space.
        summary=(
            "Sein Ta Lone, export grade, 250–350 g per fruit. "
            "Price: CNY 12,000/tonne, delivered Muse 105-mile "
            "Payment: 30% on loading, rest on arrival "
            "Contact by phone & WeChat."
        ),
        link="https://leads.example.org/muse/leads/4711",
        published=dt.date(2024, 6, 4),
        author="Ruili Golden Fruit Trading Co.",
        categories=("Mango", "Shan (North)"),
    )
    # No guid: the link is the key.
    assert green_gram.key == "https://leads.example.org/muse/leads/4712"
    assert green_gram.title == "ဝယ်မည် - ပဲတီစိမ်း ၅၀ တန်၊ မန္တလေး"
    assert green_gram.line == 2
    assert green_gram.categories == ("Green gram",)
    assert green_gram.author is None
    # 05:00 in Myanmar (+0630) on the 4th is 22:30 UTC on the 3rd: dates are UTC days.
    assert green_gram.published == dt.date(2024, 6, 3)
    # Neither guid nor link: a hash of the title and the date.
    assert chilli.key.startswith("sha1:") and len(chilli.key) == 45
    assert chilli.link is None
    assert chilli.summary == "Dried red chilli, stems removed. Offers in MMK per viss."


def test_hashed_key_is_stable_and_follows_the_date() -> None:
    item = "<title>Wanted: dried chilli 5 tonnes, Lashio</title><pubDate>{}</pubDate>"
    first = rss_leads.parse(rss(item.format("Mon, 03 Jun 2024 16:40:00 +0630"))).records[0]
    again = rss_leads.parse(rss(item.format("Mon, 03 Jun 2024 16:40:00 +0630"))).records[0]
    later = rss_leads.parse(rss(item.format("Tue, 04 Jun 2024 16:40:00 +0630"))).records[0]

    assert first.key == again.key == rss_leads.parse(RSS).records[2].key
    assert later.key != first.key


def test_atom_feed_with_two_leads() -> None:
    parsed = rss_leads.parse(ATOM)

    assert parsed.problems == []
    cassava, cashew = parsed.records
    assert cassava == LeadRecord(
        key="tag:leads.example.org,2024:lead-881",
        line=1,
        title="Buying 300 tonnes fresh cassava roots, Tay Ninh, VND 2,900/kg",
        summary="Starch content min. 28%. Delivery to the factory gate, Tan Chau district.",
        link="https://leads.example.org/mekong/buyers/881",
        published=dt.date(2024, 6, 5),  # 08:30 +07:00 is 01:30 UTC
        author="Tay Ninh Starch JSC",
        categories=("Cassava", "Vietnam"),
    )
    assert cashew.title == "Raw cashew nuts (RCN) wanted – Kampong Thom"  # type="html" title
    # No <summary>: the <content> is the summary.
    assert cashew.summary == (
        "100 tonnes, outturn 48 lbs or better, moisture under 10%. "
        "USD 1,350 per tonne, collected at Kampong Thom."
    )
    assert cashew.published == dt.date(2024, 6, 4)  # from <updated>, the only date it has
    assert cashew.categories == ("Cashew", "Cambodia")


def test_entry_with_only_an_updated_date_raises_no_warning() -> None:
    # feedparser's own .get("updated_parsed") warns (DeprecationWarning) when only
    # published_parsed exists; the parser must not go that way.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parsed = rss_leads.parse(
            rss("<title>Buying sesame</title><pubDate>Mon, 03 Jun 2024 10:00:00 GMT</pubDate>")
        )
        atom = rss_leads.parse(ATOM)

    assert parsed.records[0].published == dt.date(2024, 6, 3)
    assert atom.records[1].published == dt.date(2024, 6, 4)


def test_html_in_description_becomes_plain_text() -> None:
    description = (
        "<description>&lt;div&gt;&lt;h3&gt;Robusta coffee&lt;/h3&gt;&lt;p&gt;Grade 1,"
        " 18 screen&lt;br/&gt;USD&amp;nbsp;3,100/t FOB Ho Chi Minh City&lt;/p&gt;"
        "&lt;script&gt;track()&lt;/script&gt;&lt;/div&gt;</description>"
    )
    parsed = rss_leads.parse(
        rss(f"<title>  Buying   <b>Robusta</b>\n coffee </title>{description}")
    )

    lead = parsed.records[0]
    assert lead.title == "Buying Robusta coffee"
    assert lead.summary == "Robusta coffee Grade 1, 18 screen USD 3,100/t FOB Ho Chi Minh City"


def test_entry_without_title_and_summary_is_a_problem() -> None:
    parsed = rss_leads.parse(
        rss(
            "<title>Buying cardamom, Mandalay</title><guid>lead-1</guid>",
            "<guid>lead-2</guid><link>https://leads.example.org/2</link>",
            "<description>Buying longan, 10 t</description><guid>lead-3</guid>",
        )
    )

    assert parsed.problems == [RowProblem(2, "entry lead-2 has no title and no summary")]
    assert [(r.line, r.key, r.title) for r in parsed.records] == [
        (1, "lead-1", "Buying cardamom, Mandalay"),
        (3, "lead-3", ""),
    ]
    assert parsed.records[1].summary == "Buying longan, 10 t"


def test_guid_that_is_not_a_url_is_not_a_link() -> None:
    # Without <link>, feedparser copies a permalink guid into "link".
    parsed = rss_leads.parse(
        rss(
            "<title>Buying pigeon pea</title><guid>pp-2024-06</guid>",
            "<title>Buying maize</title><link>/leads/maize</link>",
        )
    )

    pigeon_pea, maize = parsed.records
    assert (pigeon_pea.key, pigeon_pea.link) == ("pp-2024-06", None)
    assert (maize.key, maize.link) == ("/leads/maize", None)  # relative: no address to open


def test_long_ids_are_hashed() -> None:
    exact = "urn:lead:" + "x" * 191
    long = "urn:lead:" + "x" * 192
    parsed = rss_leads.parse(
        rss(
            f"<title>Buying rubber</title><guid>{exact}</guid>",
            f"<title>Buying rubber</title><guid>{long}</guid>",
        )
    )

    kept, hashed = parsed.records
    assert kept.key == exact and len(exact) == rss_leads.MAX_KEY
    assert hashed.key.startswith("sha1:") and len(hashed.key) == 45


def test_slightly_broken_feed_with_entries_is_accepted() -> None:
    # A bare "&" is not XML; feedparser's lenient parser still finds the entries.
    parsed = rss_leads.parse(rss("<title>Rice & beans wanted, Pakokku</title><guid>rb-1</guid>"))

    assert [(r.key, r.title) for r in parsed.records] == [("rb-1", "Rice & beans wanted, Pakokku")]


def test_invalid_xml_without_entries() -> None:
    with pytest.raises(CollectorError, match=r"not valid RSS or Atom XML: .*syntax error"):
        rss_leads.parse(b"Buying 20 tonnes mango, not XML at all")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<!DOCTYPE html><html><body>Please log in</body></html>", "HTML page, not RSS or Atom"),
        (b'<?xml version="1.0"?>\n<html><body>Error</body></html>', "HTML page"),
        (b'<?xml version="1.0"?><prices><price>1</price></prices>', "not an RSS or Atom feed"),
        (b"  \n", "feed is empty"),
    ],
)
def test_unusable_feeds(content: bytes, message: str) -> None:
    with pytest.raises(CollectorError, match=message):
        rss_leads.parse(content)


def test_empty_but_valid_feed_has_no_leads() -> None:
    parsed = rss_leads.parse(rss())

    assert (parsed.records, parsed.problems) == ([], [])


def test_content_naming_a_local_file_is_not_read(tmp_path: Path) -> None:
    # Given bytes, feedparser would open them as a path if such a file existed.
    feed = tmp_path / "feed.xml"
    feed.write_bytes(RSS)

    with pytest.raises(CollectorError, match="not valid RSS or Atom XML"):
        rss_leads.parse(str(feed).encode())
