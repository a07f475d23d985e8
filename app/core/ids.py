"""Row ids as input: bounded to what every database engine's INTEGER column holds."""

from __future__ import annotations

from typing import Annotated, Final

from annotated_types import Interval

# PostgreSQL's INTEGER (SQLite would take up to 2**63 - 1). An id, cursor or id filter beyond it
# names no row on any engine, and handing it to the driver fails with an overflow instead.
MAX_ID: Final = 2**31 - 1

Id = Annotated[int, Interval(ge=1, le=MAX_ID)]
