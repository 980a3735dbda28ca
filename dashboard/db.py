"""Read-only access to the published warehouse.

`Warehouse` holds one read-only DuckDB connection to the build named in `<warehouse_dir>/CURRENT`
and hands out one cursor per query (a DuckDB connection is not thread-safe; cursors are). When a
new build is published, the next query opens it and the old connection is closed as soon as the
last cursor on it is done. The dashboard never writes the warehouse.

A `Snapshot` reads one build by its id, even after another has been published (builds are never
modified after publishing). Whatever is cached under a version must come from that version: a
result read from the build published a moment later and stored under the earlier id would be
served again after a rollback to that id.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from core import layout


class WarehouseMissing(Exception):
    """No warehouse has been published yet (or its file is gone)."""


class BuildGone(WarehouseMissing):
    """A snapshot's build has been deleted since (kept builds are bounded): read the current one."""


@dataclass
class _Handle:
    version: str
    connection: duckdb.DuckDBPyConnection
    users: int = 0
    retired: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


class Warehouse:
    """A read-only connection holder that follows the published build."""

    def __init__(self, warehouse_dir: Path):
        self.warehouse_dir = warehouse_dir
        self._lock = threading.Lock()
        self._handle: _Handle | None = None

    def version(self) -> str | None:
        return layout.current_build_id(self.warehouse_dir)

    def _open(self, version: str) -> _Handle:
        path = layout.build_path(self.warehouse_dir, version)
        if not path.exists():
            raise WarehouseMissing(f"公開中のビルドのファイルがありません: {path}")
        connection = duckdb.connect(str(path), read_only=True)
        # One thread per query: the pages' queries are small (one prefecture), where splitting
        # them costs more than it gives (15–20% slower each); concurrent sessions' queries still
        # run side by side, since DuckDB releases the GIL. Set after connecting, not as a connect
        # option: DuckDB refuses a second connection to the same file in one process with other
        # connect options (an export, a test or a steward's check reading the same build).
        connection.execute("set threads = 1")
        return _Handle(version, connection)

    def published_version(self) -> str:
        """The published build id; WarehouseMissing before the first build."""
        version = self.version()
        if version is None:
            raise WarehouseMissing(
                f"データ倉庫がまだありません（{self.warehouse_dir}）。"
                "`python -m etl build` で作成してください。"
            )
        return version

    def snapshot(self, version: str | None = None) -> Snapshot:
        """The published build (or the given one) as one consistent read."""
        return Snapshot(self, version or self.published_version())

    def _acquire(self, wanted: str | None = None) -> _Handle:
        published = self.published_version()
        wanted = wanted or published
        with self._lock:
            handle = self._handle
            if handle is None or handle.version != published:
                new = self._open(published)
                if handle is not None:
                    self._retire(handle)
                self._handle = handle = new
            if handle.version == wanted:
                handle.users += 1
                return handle
        # A build that is no longer the published one: a private connection, closed after use.
        if not layout.build_path(self.warehouse_dir, wanted).exists():
            raise BuildGone(f"ビルド {wanted} は削除されました")
        handle = self._open(wanted)
        handle.users, handle.retired = 1, True
        return handle

    @staticmethod
    def _retire(handle: _Handle) -> None:
        handle.retired = True
        if handle.users == 0:
            handle.connection.close()

    def _release(self, handle: _Handle) -> None:
        with self._lock:
            handle.users -= 1
            if handle.retired and handle.users == 0:
                handle.connection.close()

    @contextlib.contextmanager
    def cursor(self, version: str | None = None) -> Iterator[tuple[str, duckdb.DuckDBPyConnection]]:
        """(version, cursor) for one query on the published build, or on `version` when given;
        the cursor is closed afterwards."""
        handle = self._acquire(version)
        try:
            with self._lock:
                cursor = handle.connection.cursor()
            try:
                yield handle.version, cursor
            finally:
                cursor.close()
        finally:
            self._release(handle)

    def query(self, sql: str, params: Sequence[object] | Mapping[str, object] = (), *,
              version: str | None = None) -> pd.DataFrame:  # fmt: skip
        """Run one read-only query with bound parameters (positional `?` or named `$name`) on
        the published build, or on the build `version` when given."""
        bound = dict(params) if isinstance(params, Mapping) else list(params)
        with self.cursor(version) as (_, cursor):
            return cursor.execute(sql, bound).df()

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._retire(self._handle)
                self._handle = None


@dataclass(frozen=True)
class Snapshot:
    """One build of a warehouse: every query reads that build, whatever is published meanwhile."""

    warehouse: Warehouse
    version: str

    def query(self, sql: str, params: Sequence[object] | Mapping[str, object] = ()) -> pd.DataFrame:
        return self.warehouse.query(sql, params, version=self.version)


Reader = Warehouse | Snapshot  # what the query functions read from
