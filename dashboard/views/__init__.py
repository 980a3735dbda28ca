"""Page models: one `build_*` function per page turns filters into figures, tables and texts.

Builders are plain Python (no streamlit): they take a `Loader` (in the app, the cached
`dashboard.ui.cache.load`; in tests, a loader over a test warehouse), the filters and the profile,
and return a dataclass the page only has to render.
"""

from __future__ import annotations

from typing import Protocol

import pandas as pd

from dashboard import queries
from dashboard.db import Reader


class Loader(Protocol):
    def __call__(self, name: str, **arguments: object) -> pd.DataFrame: ...


def direct_loader(db: Reader) -> Loader:
    """A loader without caching (tests, benchmarks, exports run outside streamlit)."""

    def load(name: str, **arguments: object) -> pd.DataFrame:
        return getattr(queries, f"query_{name}")(db, **arguments)

    return load
