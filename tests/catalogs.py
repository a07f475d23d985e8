"""The catalog check of `make test`: every translatable string in the code is in all six
catalogs and the three romanised ones (km_Latn, lo_Latn, my_Latn), translated (not empty, not
fuzzy), with the same placeholders, and nothing stale is left behind; a romanised catalog is
plain ASCII, so its messages stay GSM-7. The web console's strings (app/console, app/web and
its templates) are checked the same way in their own domain, console.po, in the five console
languages, and the public board's (app/public and the templates under web/templates/public) in
board.po, in the six languages. Run alone with `python -m tests.catalogs`."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from babel import Locale
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from babel.plural import to_gettext

from app.core.i18n import (
    BOARD_DOMAIN,
    BOARD_LOCALES,
    CONSOLE_DOMAIN,
    CONSOLE_LOCALES,
    DOMAIN,
    MESSAGE_LOCALES,
    ROMANISED,
)
from app.text.sms import is_gsm7

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
_PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")
# Jinja's newstyle gettext in the console's templates: _("%(count)s prices", count=n).
_PERCENT_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# The console's code and templates: extracted into console.po, never into messages.po; the
# public board's, into board.po only. The first pattern that matches a file decides.
CONSOLE_TREES = ("console", "web")
BOARD_TEMPLATES = "web/templates/public"
_CONSOLE_METHODS = [
    (f"{BOARD_TEMPLATES}/**", "ignore"),
    *((f"{tree}/**.py", "python") for tree in CONSOLE_TREES),
    ("web/templates/**.html", "jinja2"),
]
_BOARD_METHODS = [("public/**.py", "python"), (f"{BOARD_TEMPLATES}/**.html", "jinja2")]
_MESSAGE_METHODS = [
    *((f"{tree}/**", "ignore") for tree in (*CONSOLE_TREES, "public")),
    ("**.py", "python"),
]
_APP_METHODS = {CONSOLE_DOMAIN: _CONSOLE_METHODS, BOARD_DOMAIN: _BOARD_METHODS}

MessageId = str | tuple[str, ...]


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        self.problems.append(message)


def code_messages(root: Path = ROOT, domain: str = DOMAIN) -> dict[MessageId, str]:
    """Every marked string of a domain, with where it first appears: for the producers'
    messages app/ (but its console and public board), bots/ and jobs/; for the console and the
    board, their code and templates."""
    found: dict[MessageId, str] = {}
    trees: dict[str, list[tuple[str, str]]] = (
        {"app": _APP_METHODS[domain]}
        if domain in _APP_METHODS
        else {"app": _MESSAGE_METHODS, "bots": [("**.py", "python")], "jobs": [("**.py", "python")]}
    )
    for tree, methods in trees.items():
        directory = root / tree
        if not directory.is_dir():
            continue
        for filename, lineno, message, _comments, _context in extract_from_dir(
            directory, method_map=methods, keywords=KEYWORDS
        ):
            key: MessageId = message if isinstance(message, str) else tuple(message[:2])
            found.setdefault(key, f"{tree}/{filename}:{lineno}")
    return found


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text)) | {
        f"%({name})s" for name in _PERCENT_PLACEHOLDER.findall(text)
    }


def check(root: Path = ROOT) -> Report:
    report = Report()
    _check_domain(root, DOMAIN, MESSAGE_LOCALES, report)
    _check_domain(root, CONSOLE_DOMAIN, CONSOLE_LOCALES, report)
    _check_domain(root, BOARD_DOMAIN, BOARD_LOCALES, report)
    return report


def _check_domain(root: Path, domain: str, locales: tuple[str, ...], report: Report) -> None:
    in_code = code_messages(root, domain)
    for catalog_locale in locales:
        path = root / "locales" / catalog_locale / "LC_MESSAGES" / f"{domain}.po"
        # The producers' catalogs keep their plain names in the report; the others say theirs.
        locale = catalog_locale if domain == DOMAIN else f"{catalog_locale} {domain}"
        if not path.is_file():
            report.add(f"{locale}: no catalog at {path.relative_to(root)}")
            continue
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=catalog_locale)
        expected = to_gettext(Locale.parse(catalog_locale).plural_form)
        if catalog.plural_forms.rstrip(";") != expected.rstrip(";"):
            report.add(
                f"{locale}: Plural-Forms {catalog.plural_forms!r} is not CLDR's {expected!r}"
            )
        in_catalog: dict[MessageId, object] = {}
        for message in catalog:
            if not message.id:
                continue
            key: MessageId = message.id if isinstance(message.id, str) else tuple(message.id)
            in_catalog[key] = message
            if key not in in_code:
                report.add(f"{locale}: {key!r} is no longer in the code (run make i18n)")
                continue
            raw = message.string
            strings = tuple(str(part or "") for part in (raw if isinstance(raw, tuple) else (raw,)))
            if message.fuzzy:
                report.add(f"{locale}: {key!r} is fuzzy")
            if not all(strings) or len(strings) != (
                catalog.num_plurals if message.pluralizable else 1
            ):
                report.add(f"{locale}: {key!r} is untranslated ({in_code[key]})")
                continue
            wanted = placeholders(key if isinstance(key, str) else key[0])
            if catalog_locale in ROMANISED.values():
                for string in strings:
                    if not (string.isascii() and is_gsm7(string)):
                        report.add(
                            f"{locale}: {key!r} is not plain ASCII GSM-7: {string!r} "
                            "(romanised catalogs are read on phones without the script)"
                        )
            for string in strings:
                if placeholders(string) != wanted:
                    report.add(
                        f"{locale}: {key!r} has placeholders {sorted(placeholders(string))}, "
                        f"expected {sorted(wanted)}"
                    )
        for key, where in in_code.items():
            if key not in in_catalog:
                report.add(f"{locale}: {key!r} from {where} is missing (run make i18n)")


def main() -> int:
    report = check()
    for problem in report.problems:
        print(f"catalog check: {problem}", file=sys.stderr)
    if report.problems:
        print(f"catalog check: {len(report.problems)} problem(s)", file=sys.stderr)
        return 1
    print(
        f"catalog check: {len(code_messages())} messages translated in "
        f"{len(MESSAGE_LOCALES)} locales ({', '.join(MESSAGE_LOCALES)}); "
        f"{len(code_messages(domain=CONSOLE_DOMAIN))} console messages in "
        f"{len(CONSOLE_LOCALES)} locales ({', '.join(CONSOLE_LOCALES)}); "
        f"{len(code_messages(domain=BOARD_DOMAIN))} board messages in "
        f"{len(BOARD_LOCALES)} locales ({', '.join(BOARD_LOCALES)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
