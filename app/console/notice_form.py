"""The notice form of the console: what a CDE typed, read into the API's NoticeCreate (one
text per language, the segment, urgency, a send time in the country's local time), and the
problems with it in the reader's language. What was typed is kept to show again, so a bad
field loses nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Final
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from starlette.datastructures import FormData

from app.core.i18n import ENDONYMS, LOCALES, N_
from app.notices.models import MAX_TEXT, Notice, NoticeCreate

# Each language named in itself, so that a CDE finds the one they write in.
TEXT_LANGUAGES: Final[dict[str, str]] = {code: ENDONYMS[code] for code in LOCALES}
assert set(TEXT_LANGUAGES) == set(LOCALES), "a notice may be written in each producer locale"

NO_TEXT: Final = N_("Write the notice in at least one language.")
TOO_LONG: Final = N_("The %(language)s text has %(length)s characters; at most %(max)s fit.")
NO_COUNTRY: Final = N_("Choose at least one country.")
BAD_TIME: Final = N_("The send time is not a date and time.")
BAD_FIELD: Final = N_("This field is not valid: %(field)s.")


@dataclass
class NoticeForm:
    """The form's fields as typed."""

    texts: dict[str, str] = field(default_factory=dict)
    countries: list[str] = field(default_factory=list)
    commodities: str = ""
    markets: str = ""
    urgent: bool = False
    send_at: str = ""  # datetime-local: the local time of the first country chosen

    @classmethod
    def read(cls, form: FormData) -> NoticeForm:
        def text(name: str) -> str:
            value = form.get(name, "")
            return value if isinstance(value, str) else ""

        return cls(
            texts={locale: text(f"text_{locale}") for locale in TEXT_LANGUAGES},
            countries=[c for c in form.getlist("countries") if isinstance(c, str) and c],
            commodities=text("commodities"),
            markets=text("markets"),
            urgent=text("urgent") == "1",
            send_at=text("send_at").strip(),
        )

    @classmethod
    def of(cls, notice: Notice, zones: dict[str, str]) -> NoticeForm:
        send_at = ""
        if notice.send_at is not None and notice.countries:
            local = notice.send_at.astimezone(ZoneInfo(zones[notice.countries[0]]))
            send_at = local.strftime("%Y-%m-%dT%H:%M")
        return cls(
            texts=dict(notice.texts),
            countries=list(notice.countries),
            commodities=", ".join(notice.commodities),
            markets=", ".join(notice.markets),
            urgent=notice.urgent,
            send_at=send_at,
        )


@dataclass(frozen=True)
class Problem:
    """A message of the console catalog with its values, translated when the page renders."""

    message: str
    values: dict[str, object] = field(default_factory=dict)


def _slugs(value: str) -> list[str]:
    return [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]


def to_create(
    form: NoticeForm, zones: dict[str, str], *, scheduled: bool
) -> NoticeCreate | list[Problem]:
    """The API's request for this form (the send time only when `scheduled`), or what is
    wrong with it. The domain checks the rest (scope, catalogue, a time to come)."""
    problems: list[Problem] = []
    texts = {locale: text for locale, text in form.texts.items() if text.strip()}
    if not texts:
        problems.append(Problem(NO_TEXT))
    for locale, text in texts.items():
        if len(text.strip()) > MAX_TEXT:
            problems.append(
                Problem(
                    TOO_LONG,
                    {"language": TEXT_LANGUAGES[locale], "length": len(text), "max": MAX_TEXT},
                )
            )
    if not form.countries:
        problems.append(Problem(NO_COUNTRY))
    send_at: dt.datetime | None = None
    if scheduled:
        try:
            local = dt.datetime.fromisoformat(form.send_at)
        except ValueError:
            problems.append(Problem(BAD_TIME))
        else:
            zone = zones.get(form.countries[0]) if form.countries else None
            send_at = local.replace(tzinfo=ZoneInfo(zone or "UTC"))
    if problems:
        return problems
    try:
        return NoticeCreate(
            texts=texts,
            countries=form.countries,
            commodities=_slugs(form.commodities),
            markets=_slugs(form.markets),
            urgent=form.urgent,
            send_at=send_at,
        )
    except ValidationError as invalid:
        return [
            Problem(BAD_FIELD, {"field": ".".join(str(p) for p in error["loc"])})
            for error in invalid.errors()
        ]
