"""The dossier store: Parquet files partitioned by month, append-mostly, read by DuckDB or Spark.

Layout under ``settings.DOSSIER_STORE_DIR`` (default ``var/dossiers``)::

    month=2025-10/imp-00000042.parquet     rows of import #42 whose dossier was received in 2025-10
    month=2025-11/imp-00000042.parquet
    month=2025-10/imp-00000043.parquet     a later import touching the same month

An import adds one file per month it touches, every row carrying the import's sequence number
(``import_seq``, the id of its :class:`~tinhso.dossiers.models.DossierImport` row). Sync semantics keyed
by ``MaHoSo`` — the current version of a dossier is its row with the highest ``import_seq``
(:data:`LATEST_SQL`), so a re-import updates a dossier even when its month changed — are kept by an
**upsert by partition**: once the import is recorded, :meth:`Staging.settle` rewrites the older files
holding the dossiers it updated without those rows, and the store holds one row per dossier (marker
:data:`CURRENT_ONLY_MARKER`), so queries read the files directly (:func:`current_sql`). Until then, or
in a store written before the marker existed, queries choose the current version on read (same rows,
slower). :func:`compact` rewrites the whole store keeping only current rows and sets the marker. Files
are written under a temporary name and renamed into place, so a reader never sees half a file and a
failed import leaves nothing behind.

The month is that of ``NgayTiepNhan`` (else of submission or end); queries read every month,
because an unfinished dossier received long ago is still carried into today's period.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.conf import settings

SCHEMA = pa.schema([
    ("ma_ho_so", pa.string()), ("ma_tthc", pa.string()), ("agency", pa.string()), ("officer", pa.string()),
    ("channel", pa.int8()), ("status", pa.int8()),
    ("submitted_at", pa.timestamp("s")), ("received_at", pa.timestamp("s")), ("due_at", pa.timestamp("s")),
    ("end_at", pa.timestamp("s")), ("returned_at", pa.timestamp("s")),
    ("received_date", pa.date32()), ("end_date", pa.date32()),
    ("due_pause_at", pa.timestamp("s")), ("due_pause_date", pa.date32()),
    ("due_restart_at", pa.timestamp("s")), ("due_restart_date", pa.date32()),
    ("sup_count", pa.int16()), ("sup_open_date", pa.date32()), ("work_days", pa.int32()),
    ("paid_online", pa.bool_()), ("fee_info", pa.bool_()), ("fee_all_zero", pa.bool_()), ("reuse", pa.bool_()),
    ("attached", pa.bool_()), ("e_result", pa.bool_()), ("from_store", pa.bool_()), ("vneid", pa.bool_()),
    ("unhappy", pa.bool_()), ("synthetic", pa.bool_()), ("import_seq", pa.int64()),
])
COLUMNS = [f.name for f in SCHEMA]

LATEST_SQL = ("SELECT * FROM (SELECT f.*, ROW_NUMBER() OVER (PARTITION BY ma_ho_so ORDER BY import_seq DESC) AS rn "
              "FROM dossier_files f) latest WHERE rn = 1")
"""The current version of every dossier (sync semantics keyed by MaHoSo, latest import wins)."""

CURRENT_ONLY_MARKER = "_one_row_per_dossier"
"""A file in the store's root present while the store holds one row per ``MaHoSo`` (see :func:`current_sql`);
anything that may leave superseded rows removes it first."""


def latest_join_sql(columns) -> str:
    """:data:`LATEST_SQL` for the given columns only, as a join on each dossier's highest import sequence
    (a hash aggregate, where the window needs a sort of the whole store): the same rows, because an
    import holds a ``MaHoSo`` once (a duplicate in a file is refused), so (``ma_ho_so``, ``import_seq``)
    is unique."""
    return (f"SELECT {', '.join('f.' + c for c in columns)} FROM dossier_files f JOIN "
            "(SELECT ma_ho_so AS cur_code, MAX(import_seq) AS cur_seq FROM dossier_files GROUP BY ma_ho_so) cur "
            "ON f.ma_ho_so = cur.cur_code AND f.import_seq = cur.cur_seq")


def current_rows_sql(base: Path | None = None) -> str:
    """Every column of the current dossiers (:func:`current_sql`): what the lists, the CSV and due-soon read."""
    return current_sql(COLUMNS, base)


def current_only(base: Path | None = None) -> bool:
    return (base or root()).joinpath(CURRENT_ONLY_MARKER).exists()


def current_sql(columns, base: Path | None = None) -> str:
    """The current dossiers, given columns only. An import removes the rows it supersedes
    (:func:`drop_superseded`), so the store normally holds one row per ``MaHoSo`` (:data:`CURRENT_ONLY_MARKER`)
    and this is a plain scan (DuckDB and Spark then read only these columns of the Parquet files). When
    superseded rows may remain (an import stopped between publishing its files and rewriting the older
    ones, or a store written before the marker existed), the current version is chosen on read
    (:func:`latest_join_sql`): slower, the same rows."""
    if current_only(base):
        return f"SELECT {', '.join(columns)} FROM dossier_files"
    return latest_join_sql(columns)


def root() -> Path:
    return Path(settings.DOSSIER_STORE_DIR)


def files(base: Path | None = None) -> list[Path]:
    base = base or root()
    return sorted(base.glob("month=*/*.parquet")) if base.is_dir() else []


class Staging:
    """An import being written: validated rows go to hidden per-month files as they come (memory stays
    bounded whatever the file's size), then :meth:`publish` stamps them with the import's sequence and
    renames them into the store, or :meth:`discard` drops them."""

    CHUNK = 20_000

    def __init__(self, base: Path | None = None):
        self.base = base or root()
        self.base.mkdir(parents=True, exist_ok=True)
        self.dir = self.base / f".staging-{uuid.uuid4().hex}"
        self.dir.mkdir()
        self._rows: list[dict] = []
        self._writers: dict[str, pq.ParquetWriter] = {}
        self.count = 0

    @property
    def months(self) -> list[str]:
        return sorted(set(self._writers) | {r["month"] for r in self._rows})

    def add(self, row: dict) -> None:
        self._rows.append(row)
        self.count += 1
        if len(self._rows) >= self.CHUNK:
            self._flush()

    def add_table(self, table: pa.Table) -> None:
        """Rows already in the store's shape (:data:`SCHEMA` and a ``month`` column, in any order; other
        columns are ignored), written to the staging files month by month."""
        self._flush()
        months = table.column("month")
        for month in pc.unique(months).to_pylist():
            part = table.filter(pc.equal(months, month))
            writer = self._writers.get(month)
            if writer is None:
                writer = self._writers[month] = pq.ParquetWriter(self.dir / f"{month}.parquet", SCHEMA,
                                                                 compression="zstd")
            writer.write_table(part.select(COLUMNS).cast(SCHEMA))
        self.count += table.num_rows

    def _flush(self) -> None:
        by_month: dict[str, list[dict]] = {}
        for row in self._rows:
            row.setdefault("import_seq", 0)
            by_month.setdefault(row["month"], []).append(row)
        for month, chunk in by_month.items():
            writer = self._writers.get(month)
            if writer is None:
                writer = self._writers[month] = pq.ParquetWriter(self.dir / f"{month}.parquet", SCHEMA,
                                                                 compression="zstd")
            writer.write_table(pa.Table.from_pylist(chunk, schema=SCHEMA))
        self._rows = []

    def _close(self) -> None:
        self._flush()
        for writer in self._writers.values():
            writer.close()

    def publish(self, seq: int, synthetic: bool) -> list[str]:
        """Stamp every row with ``seq`` (and the synthetic flag) and move the files into the store.

        When the store held one row per dossier and this import updates some of them, the marker
        :data:`CURRENT_ONLY_MARKER` is removed first (reads choose the current version again) and the
        files holding the superseded rows are remembered for :meth:`settle`."""
        self._close()
        self._stale = {}
        self._settle = False
        older = files(self.base)
        if not older or current_only(self.base):
            self._stale = _files_holding(older, sorted(self.dir.glob("*.parquet")))
            self._settle = True
            if self._stale:
                (self.base / CURRENT_ONLY_MARKER).unlink(missing_ok=True)
        written: list[Path] = []
        try:
            for month in sorted(self._writers):
                staged = pq.ParquetFile(self.dir / f"{month}.parquet")
                final = self.dir / f"{month}.final.parquet"
                with pq.ParquetWriter(final, SCHEMA, compression="zstd") as writer:
                    for batch in staged.iter_batches(batch_size=100_000):
                        table = pa.Table.from_batches([batch])
                        flags = pc.or_(table.column("synthetic"), pa.scalar(bool(synthetic)))
                        table = table.set_column(SCHEMA.get_field_index("synthetic"), "synthetic", flags)
                        table = table.set_column(SCHEMA.get_field_index("import_seq"), "import_seq",
                                                 pa.array([seq] * table.num_rows, pa.int64()))
                        writer.write_table(table.cast(SCHEMA))  # Parquet keeps seconds as milliseconds
                target_dir = self.base / f"month={month}"
                target_dir.mkdir(exist_ok=True)
                target = target_dir / f"imp-{seq:08d}.parquet"
                os.replace(final, target)
                written.append(target)
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
        finally:
            self.discard()
        return sorted(self._writers)

    def settle(self) -> None:
        """After the import is recorded: rewrite the older files without the rows this import superseded
        (an upsert by partition: only the months holding updated dossiers are rewritten, each file under
        a temporary name renamed into place) and mark the store as holding one row per dossier again.
        Nothing to do for a store that already held superseded rows before (it is read with the window
        until :func:`compact`). Stopping half-way leaves superseded rows and no marker: still correct."""
        if not getattr(self, "_settle", False):
            return
        for path, codes in self._stale.items():
            _rewrite_without(path, codes)
        (self.base / CURRENT_ONLY_MARKER).touch()

    def discard(self) -> None:
        for writer in self._writers.values():
            if writer.is_open:
                writer.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def _files_holding(older: list[Path], new: list[Path]) -> dict[Path, pa.Array]:
    """The older files holding a ``MaHoSo`` of the new files, each with the codes to drop from it."""
    if not older or not new:
        return {}
    import duckdb

    def listing(paths):
        return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"

    con = duckdb.connect(config={"threads": int(os.environ.get("TINHSO_DUCKDB_THREADS", "2"))})
    try:
        table = con.sql(
            f"SELECT o.filename AS path, o.ma_ho_so AS code FROM read_parquet({listing(older)}, filename = true, "
            f"union_by_name = true) o SEMI JOIN (SELECT ma_ho_so FROM read_parquet({listing(new)})) n "
            "ON o.ma_ho_so = n.ma_ho_so").to_arrow_table()
    finally:
        con.close()
    out: dict[Path, pa.Array] = {}
    for path in sorted(set(table.column("path").to_pylist())):
        out[Path(path)] = table.filter(pc.equal(table.column("path"), path)).column("code").combine_chunks()
    return out


def _rewrite_without(path: Path, codes: pa.Array) -> None:
    table = pq.read_table(path)
    kept = table.filter(pc.invert(pc.is_in(table.column("ma_ho_so"), value_set=codes)))
    if kept.num_rows == 0:
        path.unlink(missing_ok=True)
        return
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    pq.write_table(kept, tmp, compression="zstd")
    os.replace(tmp, path)


def write_import(rows: list[dict], seq: int, synthetic: bool, base: Path | None = None) -> list[str]:
    """Write one import's rows (already normalised) as one file per month; returns the months."""
    staging = Staging(base)
    try:
        for row in rows:
            staging.add(row)
    except BaseException:
        staging.discard()
        raise
    months = staging.publish(seq, synthetic)
    staging.settle()
    return months


def remove_import(seq: int, base: Path | None = None) -> None:
    """Undo a write whose database record could not be committed."""
    for path in (base or root()).glob(f"month=*/imp-{seq:08d}.parquet"):
        path.unlink(missing_ok=True)


def compact(base: Path | None = None) -> int:
    """Rewrite every month keeping only current rows (one file per month, named after its highest
    import); returns the number of rows dropped. Not safe to run beside an import."""
    import duckdb

    base = base or root()
    paths = files(base)
    if not paths:
        return 0
    con = duckdb.connect()
    pattern = str(base / "month=*" / "*.parquet").replace("'", "''")
    con.sql(f"CREATE VIEW dossier_files AS SELECT * FROM read_parquet('{pattern}', "
            "hive_partitioning = true, union_by_name = true)")
    before = con.sql("SELECT COUNT(*) FROM dossier_files").fetchall()[0][0]
    current = con.sql(f"SELECT {', '.join(COLUMNS)}, month FROM ({LATEST_SQL}) t").to_arrow_table()
    dropped = before - current.num_rows
    if dropped == 0:
        (base / CURRENT_ONLY_MARKER).touch()
        return 0
    staging = base / f".compact-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    months = sorted(set(current.column("month").to_pylist()))
    for month in months:
        part = current.filter(pc.equal(current.column("month"), month)).drop(["month"])
        seq = max(part.column("import_seq").to_pylist())
        pq.write_table(part.cast(SCHEMA), staging / f"{month}-{seq:08d}.parquet", compression="zstd")
    for path in paths:
        path.unlink()
    for month in months:
        (src,) = staging.glob(f"{month}-*.parquet")
        seq = src.stem.rsplit("-", 1)[1]
        (base / f"month={month}").mkdir(exist_ok=True)
        os.replace(src, base / f"month={month}" / f"imp-{seq}.parquet")
    shutil.rmtree(staging, ignore_errors=True)
    (base / CURRENT_ONLY_MARKER).touch()
    return dropped
