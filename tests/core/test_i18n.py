from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from app.core import i18n
from app.core.errors import ConfigurationError, InvalidInput
from app.core.i18n import (
    BOARD_LOCALES,
    DEFAULT_LOCALES_DIR,
    LOCALES,
    board_translator,
    check_locale,
    compile_po,
    load_board_catalogs,
    load_catalogs,
    require_catalogs,
    translator,
)
from app.public.brand import MIC_NAME


def test_each_locale_has_its_own_catalog() -> None:
    assert translator("my").gettext("no change") == "မပြောင်းလဲ"
    assert translator("km").gettext("no change") == "ដដែល"
    assert translator("vi").gettext("no change") == "không đổi"
    assert translator("zh").gettext("no change") == "持平"
    assert translator("en").gettext("no change") == "no change"


def test_unknown_locales_and_strings_fall_back_to_english() -> None:
    assert translator("fr").locale == "en"
    assert translator("km").gettext("a string nobody translated") == "a string nobody translated"
    with pytest.raises(InvalidInput, match="unknown locale 'fr'"):
        check_locale("fr")


def test_plural_forms_follow_cldr() -> None:
    vi = translator("vi")
    # Vietnamese has CLDR's 'one' for 0 and 1 (the same words here, but a separate form).
    assert vi.catalog.plural(1) == 0 and vi.catalog.plural(0) == 0 and vi.catalog.plural(2) == 1  # type: ignore[attr-defined]
    for locale in ("my", "km", "lo", "zh"):
        assert translator(locale).catalog.plural(5) == 0  # type: ignore[attr-defined]
    en = translator("en")
    assert (
        en.ngettext("and {count} more price", "and {count} more prices", 1)
        == "and {count} more price"
    )
    assert (
        en.ngettext("and {count} more price", "and {count} more prices", 2)
        == "and {count} more prices"
    )


async def test_concurrent_replies_in_different_languages_do_not_leak() -> None:
    """Interleaved tasks each translate for their own reader; with a process-global locale
    (gettext.install, setlocale) one task's language would bleed into the other's."""
    expected = {locale: translator(locale).gettext("no change") for locale in LOCALES}
    assert len(set(expected.values())) == len(LOCALES)

    async def reply(locale: str) -> list[str]:
        out = []
        for _ in range(50):
            t = translator(locale)
            await asyncio.sleep(0)  # hand over to the other tasks between lookups
            out.append(t.gettext("no change"))
        return out

    results = await asyncio.gather(*(reply(locale) for locale in LOCALES * 4))
    for locale, replies in zip(LOCALES * 4, results, strict=True):
        assert set(replies) == {expected[locale]}


def _copy_catalogs(tmp_path: Path) -> Path:
    """The checkout's catalogs, each .mo freshly compiled from its .po whatever state the
    checkout's own .mo files are in."""
    directory = tmp_path / "locales"
    shutil.copytree(DEFAULT_LOCALES_DIR, directory, ignore=shutil.ignore_patterns("*.mo"))
    for po in directory.glob("*/LC_MESSAGES/messages.po"):
        po.with_suffix(".mo").write_bytes(compile_po(po))
        os.utime(po, (po.stat().st_mtime - 60, po.stat().st_mtime - 60))
    return directory


def test_a_missing_compiled_catalog_is_compiled_from_its_po(tmp_path: Path) -> None:
    directory = _copy_catalogs(tmp_path)
    (directory / "lo" / "LC_MESSAGES" / "messages.mo").unlink()
    loaded = load_catalogs(directory)
    assert loaded.origins["lo"] == "compiled at start from messages.po"
    assert loaded.origins["km"] == "compiled"
    expected = translator("lo").gettext("no change")
    assert expected != "no change"  # the real Lao text, not the English fallback
    assert translator("lo", directory=directory).gettext("no change") == expected


def test_a_stale_compiled_catalog_gives_way_to_its_newer_po(tmp_path: Path) -> None:
    directory = _copy_catalogs(tmp_path)
    po = directory / "km" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    old = translator("km").gettext("no change")
    po.write_text(text.replace(f'msgstr "{old}"', 'msgstr "ថ្មី"', 1), encoding="utf-8")
    mo = po.with_suffix(".mo")
    os.utime(mo, (po.stat().st_mtime - 60, po.stat().st_mtime - 60))
    assert translator("km", directory=directory).gettext("no change") == "ថ្មី"
    assert load_catalogs(directory.resolve()).origins["km"] == "compiled at start from messages.po"


def test_a_catalog_with_neither_file_is_a_clear_error(tmp_path: Path) -> None:
    directory = _copy_catalogs(tmp_path)
    for name in ("messages.mo", "messages.po"):
        (directory / "lo" / "LC_MESSAGES" / name).unlink()
    with pytest.raises(
        ConfigurationError,
        match=r"lo/LC_MESSAGES/messages.mo is missing and there is no messages.po to compile",
    ):
        require_catalogs(directory)


def test_an_installed_packages_compiled_catalogs_are_trusted_whatever_their_file_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pip writes a wheel's messages.po after its messages.mo; that does not make the .mo stale."""
    directory = _copy_catalogs(tmp_path).resolve()
    po = directory / "my" / "LC_MESSAGES" / "messages.po"
    later = po.with_suffix(".mo").stat().st_mtime + 60
    os.utime(po, (later, later))
    assert load_catalogs(directory).origins["my"] == "compiled at start from messages.po"
    monkeypatch.setattr(i18n, "_PACKAGED_LOCALES", directory)
    load_catalogs.cache_clear()
    try:
        assert load_catalogs(directory).origins["my"] == "compiled"
    finally:
        load_catalogs.cache_clear()


def test_the_public_board_speaks_six_languages_from_its_own_catalog(tmp_path: Path) -> None:
    assert BOARD_LOCALES == LOCALES
    assert board_translator("zh").gettext(MIC_NAME) == "湄公河市场信息中心"
    assert board_translator("fr").locale == "en"
    directory = _copy_catalogs(tmp_path)
    (directory / "km" / "LC_MESSAGES" / "board.mo").unlink(missing_ok=True)
    assert load_board_catalogs(directory).origins["km"] == "compiled at start from board.po"
    (directory / "km" / "LC_MESSAGES" / "board.po").unlink()
    load_board_catalogs.cache_clear()
    try:
        with pytest.raises(ConfigurationError, match=r"km/LC_MESSAGES/board.mo is missing"):
            require_catalogs(directory)
    finally:
        load_board_catalogs.cache_clear()
