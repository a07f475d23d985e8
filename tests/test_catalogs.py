"""The catalog check itself, and proof that it fails on each kind of neglect."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.catalogs import ROOT, check


def test_the_catalogs_are_complete() -> None:
    assert check().problems == []


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the code and catalogs to break on purpose."""
    for name in ("app", "bots", "jobs", "locales"):
        shutil.copytree(
            ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("*.mo", "__pycache__")
        )
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_new_string_in_the_code_fails_until_translated(tree: Path) -> None:
    (tree / "app" / "greeting.py").write_text('from app.core.i18n import N_\nHELLO = N_("Hello")\n')
    problems = check(tree).problems
    assert len(problems) == 9  # six languages and three romanised catalogs
    assert "en: 'Hello' from app/greeting.py:2 is missing (run make i18n)" in problems
    assert "km_Latn: 'Hello' from app/greeting.py:2 is missing (run make i18n)" in problems


def test_an_untranslated_or_fuzzy_entry_fails(tree: Path) -> None:
    km = tree / "locales" / "km" / "LC_MESSAGES" / "messages.po"
    edit(km, 'msgstr "ដដែល"', 'msgstr ""')
    lo = tree / "locales" / "lo" / "LC_MESSAGES" / "messages.po"
    edit(lo, 'msgid "no change"', '#, fuzzy\nmsgid "no change"')
    problems = check(tree).problems
    assert any(p.startswith("km: 'no change' is untranslated") for p in problems)
    assert "lo: 'no change' is fuzzy" in problems


def test_a_lost_placeholder_fails(tree: Path) -> None:
    vi = tree / "locales" / "vi" / "LC_MESSAGES" / "messages.po"
    edit(vi, 'msgstr "Giá ngày {date}:"', 'msgstr "Giá hôm nay:"')
    assert check(tree).problems == [
        "vi: 'Prices on {date}:' has placeholders [], expected ['date']"
    ]


def test_a_removed_string_and_a_wrong_plural_rule_fail(tree: Path) -> None:
    vi = tree / "locales" / "vi" / "LC_MESSAGES" / "messages.po"
    edit(vi, "nplurals=2; plural=((((n == 0)) || ((n == 1))) ? 0 : 1);", "nplurals=1; plural=0;")
    edit(tree / "app" / "text" / "formatting.py", 'gettext("no change")', 'gettext("unchanged")')
    problems = check(tree).problems
    assert any(
        p.startswith("vi: Plural-Forms 'nplurals=1; plural=0;' is not CLDR's") for p in problems
    )
    assert "zh: 'no change' is no longer in the code (run make i18n)" in problems


@pytest.mark.parametrize(
    ("wrong", "why"),
    [("ដដែល", "Khmer script"), ("dodèl", "an accent"), ("do{del}", "a placeholder too many")],
)
def test_a_romanised_catalog_must_stay_plain_ascii(tree: Path, wrong: str, why: str) -> None:
    km_latn = tree / "locales" / "km_Latn" / "LC_MESSAGES" / "messages.po"
    edit(km_latn, 'msgstr "dodel"', f'msgstr "{wrong}"')
    problems = check(tree).problems
    assert problems, why
    assert all(p.startswith("km_Latn: 'no change'") for p in problems), problems
    if why != "a placeholder too many":
        assert problems == [
            f"km_Latn: 'no change' is not plain ASCII GSM-7: {wrong!r} "
            "(romanised catalogs are read on phones without the script)"
        ]


def test_a_new_console_string_fails_in_the_five_console_catalogs_only(tree: Path) -> None:
    page = tree / "app" / "web" / "templates" / "console" / "sign_in.html"
    edit(page, "{% block content %}", '{% block content %}<p>{{ _("Welcome back") }}</p>')
    problems = check(tree).problems
    assert len(problems) == 5  # en, my, km, lo, vi: the console's languages, not zh or Latin
    assert (
        "km console: 'Welcome back' from app/web/templates/console/sign_in.html:3 "
        "is missing (run make i18n)"
    ) in problems
    assert all("is missing (run make i18n)" in p for p in problems)


def test_a_console_string_stays_out_of_the_producers_catalogs(tree: Path) -> None:
    (tree / "app" / "console" / "extra.py").write_text(
        'from app.core.i18n import N_\nHELLO = N_("Good morning, CDE")\n'
    )
    problems = check(tree).problems
    assert len(problems) == 5
    assert all(p.split(":")[0].endswith(" console") for p in problems)


def test_a_lost_template_placeholder_fails(tree: Path) -> None:
    my = tree / "locales" / "my" / "LC_MESSAGES" / "console.po"
    edit(my, "အနည်းဆုံး စာလုံး %(count)s လုံး။", "အနည်းဆုံး စာလုံး ဆယ်လုံး။")
    assert check(tree).problems == [
        "my console: 'At least %(count)s characters.' has placeholders [], expected ['%(count)s']"
    ]


def test_a_new_board_string_fails_in_the_six_board_catalogs_only(tree: Path) -> None:
    (tree / "app" / "public" / "extra.py").write_text(
        'from app.core.i18n import N_\nTODAY = N_("Prices today")\n'
    )
    problems = check(tree).problems
    assert len(problems) == 6  # the six languages: the public reads Chinese too, and no Latin
    assert "zh board: 'Prices today' from app/public/extra.py:2 is missing (run make i18n)" in (
        problems
    )
    assert all(p.split(":")[0].endswith(" board") for p in problems)


def test_a_board_template_stays_out_of_the_console_catalogs(tree: Path) -> None:
    page = tree / "app" / "web" / "templates" / "public" / "extra.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text('<p>{{ _("Latest prices") }}</p>\n', encoding="utf-8")
    problems = check(tree).problems
    assert len(problems) == 6
    assert (
        "my board: 'Latest prices' from app/web/templates/public/extra.html:1 "
        "is missing (run make i18n)"
    ) in problems
