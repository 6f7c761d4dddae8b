"""psycopg's cache of converted statements holds tinhso's long fixed statements (core.pgstatements)."""

from __future__ import annotations


def test_psycopg_caches_the_conversion_of_a_long_statement():
    from psycopg import _queries
    from psycopg.adapt import Transformer

    from tinhso.core import pgstatements

    # widened at start-up (core's AppConfig.ready); fails if psycopg renames or drops its limits
    assert pgstatements.widen() is True
    assert _queries.MAX_CACHED_STATEMENT_LENGTH >= pgstatements.MAX_LENGTH
    assert _queries.MAX_CACHED_STATEMENT_PARAMS >= pgstatements.MAX_PARAMS
    # a statement the size of a submission's (150 parameters, > 4 kB): converted once, then from the cache
    columns = ", ".join(f"a_rather_long_column_name_{i}" for i in range(150))
    statement = f"WITH t0 AS (INSERT INTO t ({columns}) VALUES ({', '.join(['%s'] * 150)}) RETURNING id) SELECT 1"
    assert len(statement) > 4096
    _queries._query2pg.cache_clear()
    for _ in range(3):
        query = _queries.PostgresQuery(Transformer())
        query.convert(statement, list(range(150)))  # what Cursor.execute does
        assert query.query.count(b"$") == 150
    info = _queries._query2pg.cache_info()
    assert (info.misses, info.hits) == (1, 2)
