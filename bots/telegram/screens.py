"""What the bot shows: a text with inline buttons, laid out in rows."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Screen:
    """What to show: text, inline buttons (label, callback data) by row, and whether to ask
    for the contact through the reply keyboard."""

    text: str
    buttons: list[list[tuple[str, str]]] = field(default_factory=list)
    ask_contact: tuple[str, str] | None = None  # (share label, skip label)
    done: bool = False


def rows(buttons: list[tuple[str, str]], width: int) -> list[list[tuple[str, str]]]:
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]
