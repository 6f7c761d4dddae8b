"""Running the dossier queries: DuckDB in-process (default) or Apache Spark, over the same Parquet store.

Every query is written once, in DuckDB's SQL dialect restricted to ANSI constructs (no ``GROUP BY
ALL``, no ``QUALIFY``, no DuckDB-only functions), and given to Spark after ``sqlglot`` transpiles it
to Spark SQL. Both engines see the store as a table ``dossier_files`` (every Parquet file, with the
``month`` partition column); queries read the current dossiers through :func:`store.current_sql`.
Results come back as plain Python rows with integers, so both engines give identical answers.

Spark runs in local mode, bound to 127.0.0.1, with its web UI off and little memory; a cluster
deployment sets ``TINHSO_SPARK_MASTER`` (see docs/scaling.md in the dossiers docs).
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
import sys
import threading
from concurrent.futures import Future
from pathlib import Path

from tinhso.core.errors import UserError
from tinhso.dossiers import store

ENGINES = ("duckdb", "spark")
_spark_lock = threading.Lock()
_spark = None


def _plain(value):
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    return value


def run(sql: str, engine: str = "duckdb", base: Path | None = None) -> tuple[list[str], list[tuple]]:
    """Column names and rows of ``sql`` (DuckDB dialect) over the store; no rows for an empty store."""
    if engine not in ENGINES:
        raise UserError("bad_engine", f"Bộ máy {engine!r} không hợp lệ ({', '.join(ENGINES)})",
                        f"Unknown engine {engine!r} ({', '.join(ENGINES)})", field="engine")
    pending = _take_prefetched(sql, engine, base)
    if pending is not None:
        return pending.result()
    return _run_now(sql, engine, base)


def _run_now(sql: str, engine: str, base: Path | None) -> tuple[list[str], list[tuple]]:
    paths = store.files(base)
    if not paths:
        return [], []
    try:
        if engine == "duckdb":
            return _run_duckdb(sql, base or store.root())
        return _run_spark(sql, base or store.root())
    except UserError:
        raise
    except Exception as exc:
        if not _engine_error(exc):
            raise
        message = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        raise UserError("engine_failed", f"Bộ máy {engine} không đọc được kho hồ sơ: {message}",
                        f"The {engine} engine could not read the dossier store: {message}", field="engine",
                        status=500) from exc


_prefetched: dict[tuple[str, str, str], Future] = {}
_prefetch_lock = threading.Lock()


def _prefetch_key(sql: str, engine: str, base: Path | None) -> tuple[str, str, str]:
    return (sql, engine, str(base or store.root()))


def prefetch(sql: str, engine: str = "duckdb", base: Path | None = None) -> None:
    """Start :func:`run` of ``sql`` in a background thread; the next :func:`run` of the same query (same
    engine and store) waits for that result instead of running it again (an error is raised there).

    For a caller that knows it will need a slow query later and has other work meanwhile: the monthly
    analysis starts the dossier query (DuckDB, which releases the GIL) before the report detectors (SQLite),
    so both cores work. DuckDB only (Spark has its own parallelism). The thread reads only the Parquet
    store, never the database (Django's connections are per thread). A result not taken is dropped by
    :func:`drop_prefetched`, which the caller runs when done, so a later query never sees an old store."""
    if engine != "duckdb":
        return
    key = _prefetch_key(sql, engine, base)
    with _prefetch_lock:
        if key in _prefetched:
            return
        future: Future = Future()
        _prefetched[key] = future

    def work():
        try:
            future.set_result(_run_now(sql, engine, base))
        except BaseException as exc:  # handed to the caller of run()
            future.set_exception(exc)

    threading.Thread(target=work, name="tinhso-dossier-prefetch", daemon=True).start()


def _take_prefetched(sql: str, engine: str, base: Path | None) -> Future | None:
    if not _prefetched:
        return None
    with _prefetch_lock:
        return _prefetched.pop(_prefetch_key(sql, engine, base), None)


def drop_prefetched() -> None:
    """Forget the prefetched results not taken (waiting for the queries still running)."""
    with _prefetch_lock:
        pending = list(_prefetched.values())
        _prefetched.clear()
    for future in pending:
        future.exception()  # wait: no thread left reading the store; its error, if any, is not ours


def _engine_error(exc: Exception) -> bool:
    """An error of the engine or of the files it read (a damaged Parquet file, a Java failure), as opposed
    to a bug in tinhso."""
    module = type(exc).__module__ or ""
    return module.startswith(("duckdb", "_duckdb", "pyspark", "py4j"))


def duckdb_config() -> dict:
    """DuckDB's settings for the dossier queries: ``threads`` (``settings.DOSSIER_DUCKDB_THREADS``, else one
    per core, at most 4), ``memory_limit`` (``settings.DOSSIER_DUCKDB_MEMORY_LIMIT``, 1 GB by default instead of
    DuckDB's 80 % of RAM: the analysis and the web workers share the machine) with spilling to
    ``VAR_DIR/duckdb-tmp`` above it, and no insertion order kept (no query here relies on it without an
    ORDER BY; it lets DuckDB stream aggregates with less memory)."""
    from django.conf import settings

    threads = int(getattr(settings, "DOSSIER_DUCKDB_THREADS", 0) or 0) or max(1, min(4, os.cpu_count() or 1))
    config = {"threads": threads, "preserve_insertion_order": False}
    limit = str(getattr(settings, "DOSSIER_DUCKDB_MEMORY_LIMIT", "") or "").strip()
    if limit:
        config["memory_limit"] = limit
        config["temp_directory"] = str(Path(settings.VAR_DIR) / "duckdb-tmp")
    return config


def _run_duckdb(sql: str, base: Path) -> tuple[list[str], list[tuple]]:
    import duckdb

    pattern = str(base / "month=*" / "*.parquet").replace("'", "''")
    con = duckdb.connect(config=duckdb_config())
    try:
        con.execute(f"CREATE VIEW dossier_files AS SELECT * FROM read_parquet('{pattern}', "
                    "hive_partitioning = true, union_by_name = true)")
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
        if not any("DECIMAL" in str(d[1]).upper() for d in cursor.description):
            return names, rows  # integers, dates, strings: already plain Python values
        return names, [tuple(_plain(v) for v in row) for row in rows]
    finally:
        con.close()


def to_spark_sql(sql: str) -> str:
    import sqlglot

    return sqlglot.transpile(sql, read="duckdb", write="spark")[0]


def spark_available() -> str | None:
    """None when Spark can run here, else why not."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'tinhso[spark]')"
    java_home = os.environ.get("JAVA_HOME")
    if not (java_home and Path(java_home, "bin", "java").exists()) and not any(
            Path(d, "java").exists() for d in os.environ.get("PATH", "").split(os.pathsep)):
        return "no Java runtime (install openjdk-17-jre-headless)"
    return None


def spark_session():
    """The process's Spark session (local mode unless TINHSO_SPARK_MASTER is set)."""
    global _spark
    with _spark_lock:
        if _spark is None:
            reason = spark_available()
            if reason:
                raise UserError("spark_unavailable", f"Không chạy được Spark: {reason}",
                                f"Spark cannot run: {reason}", field="engine")
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            import warnings

            # tinhso passes no pandas data to Spark; its pandas-version notice does not apply
            warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas",
                                    category=FutureWarning)
            from pyspark.sql import SparkSession

            builder = (SparkSession.builder.appName("tinhso-dossiers")
                       .master(os.environ.get("TINHSO_SPARK_MASTER", "local[2]"))
                       .config("spark.ui.enabled", "false")
                       .config("spark.ui.showConsoleProgress", "false")
                       .config("spark.driver.memory", os.environ.get("TINHSO_SPARK_MEMORY", "512m"))
                       .config("spark.driver.bindAddress", "127.0.0.1")
                       .config("spark.driver.host", "127.0.0.1")
                       .config("spark.sql.shuffle.partitions", "4")
                       .config("spark.sql.session.timeZone", "Asia/Ho_Chi_Minh")
                       .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
                       .config("spark.sql.ansi.enabled", "true"))
            _spark = builder.getOrCreate()
            _spark.sparkContext.setLogLevel("ERROR")
        return _spark


def stop_spark() -> None:
    global _spark
    with _spark_lock:
        if _spark is not None:
            _spark.stop()
            _spark = None


def _run_spark(sql: str, base: Path) -> tuple[list[str], list[tuple]]:
    spark = spark_session()
    frame = spark.read.option("mergeSchema", "true").parquet(str(base))
    frame.createOrReplaceTempView("dossier_files")
    result = spark.sql(to_spark_sql(sql))
    names = result.columns
    rows = [tuple(_plain(v) for v in row) for row in result.collect()]
    return names, rows


def as_dicts(names: list[str], rows: list[tuple]) -> list[dict]:
    return [dict(zip(names, row)) for row in rows]


def today_local() -> dt.date:
    from tinhso.core.workcalendar import VIETNAM_TZ

    return dt.datetime.now(VIETNAM_TZ).date()
