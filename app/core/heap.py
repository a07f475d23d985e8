"""The objects a long-running process builds while it starts, kept out of garbage collection.

Modules, SQLAlchemy's mappers, FastAPI's routes, Babel's locale data and the catalogs are a
quarter of a million objects that live as long as the process. Python's cyclic collector
walks all of them in every full collection: a pause of about a quarter of a second in which
the event loop answers nobody, measured in the inbound bench as its slowest answers.
Frozen once the process has started, they are left out of every later collection.
"""

from __future__ import annotations

import gc


def freeze_startup_heap() -> None:
    """Call once, when the process has loaded everything it keeps, just before it serves."""
    gc.collect()  # what startup left as garbage goes now, not frozen with the rest
    gc.freeze()
