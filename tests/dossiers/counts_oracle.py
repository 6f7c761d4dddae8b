"""The one-pass counts query as it was before it pre-aggregated the dossiers by period index
(:func:`tinhso.dossiers.indicators.many_counts_sql`): the current dossiers joined to the table of periods on
the scope condition, the rule columns of :func:`tinhso.dossiers.rules.rule_columns` summed per period ×
agency × procedure. Kept verbatim (save for imports) as the oracle of ``test_counts_query.py``, on DuckDB
and on Spark. Not product code."""

from __future__ import annotations

import datetime as dt

from tinhso.dossiers import rules, store
from tinhso.dossiers.indicators import RULE_INPUTS
from tinhso.dossiers.periods import Period


def periods_sql(periods: list[Period], today: dt.date | None = None) -> str:
    """The periods as a small table ``(period, p_start, p_end, p_judge)`` (an ANSI ``VALUES`` list)."""
    rows = ", ".join(f"('{p.code}', DATE '{p.start.isoformat()}', DATE '{p.end.isoformat()}', "
                     f"DATE '{rules.judged_at(p.end, today).isoformat()}')" for p in periods)
    return f"SELECT * FROM (VALUES {rows}) AS t(period, p_start, p_end, p_judge)"


def join_counts_sql(periods: list[Period], mode: str, today: dt.date | None = None,
                    current: str | None = None) -> str:
    """The counts of several periods (any mix of kinds) in one pass: each dossier joined to the periods
    it is in scope of, the rule columns with the period's days read from the joined row."""
    cols = rules.rule_columns("p.p_start", "p.p_end", "p.p_judge", mode)
    sums = [f"SUM(CASE WHEN {expr} THEN 1 ELSE 0 END) AS {name}" for name, expr in cols.items()]
    sums.append(f"SUM({rules.SUMMED['work_days'].format(e='p.p_end')}) AS work_days")
    source = current if current is not None else store.current_sql(RULE_INPUTS)
    dossier_part, period_part = rules.scope_parts("p.p_start", "p.p_end")
    if periods:
        span = rules.scope_parts(f"DATE '{min(p.start for p in periods).isoformat()}'",
                                 f"DATE '{max(p.end for p in periods).isoformat()}'")[1]
        dossier_part = f"{dossier_part} AND {span}"
    return (f"SELECT p.period AS period, d.agency AS agency, d.ma_tthc AS ma_tthc, {', '.join(sums)} "
            f"FROM (SELECT * FROM ({source}) c WHERE {dossier_part}) d JOIN ({periods_sql(periods, today)}) p "
            f"ON COALESCE({period_part}, FALSE) "
            "GROUP BY p.period, d.agency, d.ma_tthc ORDER BY 1, 2, 3")
