"""The catalog check of `make test`: every translatable string in the code is in all six
catalogs and the three romanised ones (km_Latn, lo_Latn, my_Latn), translated (not empty, not
fuzzy), with the same placeholders, and nothing stale is left behind; a romanised catalog is
plain ASCII, so its messages stay GSM-7. Run alone with `python -m tests.catalogs`."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from babel import Locale
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from babel.plural import to_gettext

from app.core.i18n import MESSAGE_LOCALES, ROMANISED
from app.text.sms import is_gsm7

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
_PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")

MessageId = str | tuple[str, ...]


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        self.problems.append(message)


def code_messages(root: Path = ROOT) -> dict[MessageId, str]:
    """Every marked string in app/, bots/ and jobs/, with where it first appears."""
    found: dict[MessageId, str] = {}
    for tree in ("app", "bots", "jobs"):
        directory = root / tree
        if not directory.is_dir():
            continue
        for filename, lineno, message, _comments, _context in extract_from_dir(
            directory, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            key: MessageId = message if isinstance(message, str) else tuple(message[:2])
            found.setdefault(key, f"{tree}/{filename}:{lineno}")
    return found


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def check(root: Path = ROOT) -> Report:
    report = Report()
    in_code = code_messages(root)
    for locale in MESSAGE_LOCALES:
        path = root / "locales" / locale / "LC_MESSAGES" / "messages.po"
        if not path.is_file():
            report.add(f"{locale}: no catalog at {path.relative_to(root)}")
            continue
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        expected = to_gettext(Locale.parse(locale).plural_form)
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
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy:
                report.add(f"{locale}: {key!r} is fuzzy")
            if not all(strings) or len(strings) != (
                catalog.num_plurals if message.pluralizable else 1
            ):
                report.add(f"{locale}: {key!r} is untranslated ({in_code[key]})")
                continue
            wanted = placeholders(key if isinstance(key, str) else key[0])
            if locale in ROMANISED.values():
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
    return report


def main() -> int:
    report = check()
    for problem in report.problems:
        print(f"catalog check: {problem}", file=sys.stderr)
    if report.problems:
        print(f"catalog check: {len(report.problems)} problem(s)", file=sys.stderr)
        return 1
    print(
        f"catalog check: {len(code_messages())} messages translated in "
        f"{len(MESSAGE_LOCALES)} locales ({', '.join(MESSAGE_LOCALES)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
