"""How MIC names itself to the public, in the board's catalog: on its pages and share cards."""

from __future__ import annotations

from typing import Final

from app.core.i18n import N_

MIC_NAME: Final = N_("Mekong Market Information Centre")
