"""psycopg's cache of converted statements, widened to hold tinhso's long fixed statements.

psycopg turns each statement's ``%s`` placeholders into PostgreSQL's ``$1 … $n`` with a regular
expression over the whole text, and keeps the result in a per-process LRU cache of 128 statements —
but only for statements of at most 4,096 bytes and 50 parameters (``psycopg._queries``: longer ones,
typically ORM bulk inserts with a varying number of rows, would fill the cache with one-off entries).
A citizen's submission on PostgreSQL is one fixed statement of ~150 parameters
(:func:`tinhso.core.fastinsert.combined`: the report, its events, journal row and messages, and the
duplicate search), a handful of shapes in all, so it was parsed again on every submission: ≈ 19 % of
the intake view's Python time under load (py-spy, docs/benchmarks.md). The limits are raised to
:data:`MAX_LENGTH` bytes and :data:`MAX_PARAMS` parameters; the cache keeps its 128 entries, so the
most it can hold grows to a few megabytes per process.

These two limits are module constants of psycopg, not a documented setting: :func:`widen` checks
they exist (psycopg is pinned) and ``tests/core/test_pgstatements.py`` fails if a psycopg upgrade
removes them, rather than the speed quietly going.
"""

from __future__ import annotations

MAX_LENGTH = 16_384
MAX_PARAMS = 512


def widen() -> bool:
    """Raise psycopg's limits of cacheable statements (never lower them); False if psycopg has none."""
    try:
        from psycopg import _queries
    except ImportError:  # SQLite-only installation without psycopg
        return False
    names = ("MAX_CACHED_STATEMENT_LENGTH", "MAX_CACHED_STATEMENT_PARAMS")
    if not all(isinstance(getattr(_queries, name, None), int) for name in names):
        return False
    _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, MAX_LENGTH)
    _queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS, MAX_PARAMS)
    return True
