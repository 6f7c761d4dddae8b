"""What a dataset page shows of the data: the first rows (read back from the Parquet distribution) and a
chart's series (a measure summed over the table's time or first text dimension)."""

from __future__ import annotations

from collections import OrderedDict

import pyarrow.parquet as pq

from tinhso.opendata import storage
from tinhso.opendata.models import Dataset

PREVIEW_ROWS = 20
CHART_POINTS = 40
_NOT_MEASURES = {"lat", "lon", "rank", "year", "value_high"}


def _table(ds: Dataset):
    dist = ds.distributions.filter(format="Parquet").first()
    if dist is None:
        return None
    path = storage.file_path(ds.name, dist.file_name)
    return pq.read_table(path) if path.exists() else None


def preview(ds: Dataset) -> dict:
    table = _table(ds)
    if table is None:
        return {"columns": [], "rows": [], "total": 0, "chart": None}
    head = table.slice(0, PREVIEW_ROWS).to_pylist()
    columns = table.column_names
    return {"columns": columns, "rows": [[r.get(c) for c in columns] for r in head], "total": table.num_rows,
            "chart": chart(ds, table)}


def chart(ds: Dataset, table) -> dict | None:
    """The series to draw: the dataset's own ``x-chart`` hint (dimension, measure, aggregate sum/count/none,
    a filter), else the first measure summed over the time (or first text) column."""
    fields = {f["name"]: f.get("type", "string") for f in ds.table_schema.get("fields", [])}
    hint = ds.table_schema.get("x-chart") or {}
    measures = [n for n, t in fields.items() if t in ("integer", "number") and n not in _NOT_MEASURES]
    measure = hint.get("measure") or (measures[0] if measures else None)
    dims = [n for n in ("month", "year", "period") if n in fields] or \
           [n for n, t in fields.items() if t in ("string", "yearmonth", "year")]
    dim = hint.get("dimension") or (dims[0] if dims else None)
    if measure not in fields or dim not in fields:
        return None
    aggregate, wanted = hint.get("aggregate", "sum"), hint.get("filter", {})
    sums: OrderedDict = OrderedDict()
    for row in table.select(list({dim, measure, *wanted})).to_pylist():
        if row[measure] is None or any(row.get(k) != v for k, v in wanted.items()):
            continue
        key = str(row[dim])
        if aggregate == "none":
            sums[key] = row[measure]
        elif aggregate == "count":
            sums[key] = sums.get(key, 0) + 1
        else:
            sums[key] = sums.get(key, 0) + row[measure]
    if aggregate == "none":
        keys = sorted(sums, key=lambda k: -sums[k])[:CHART_POINTS]
    else:
        keys = (sorted(sums) if dim in ("month", "year", "period") else list(sums))[-CHART_POINTS:]
    label = f"{measure} ({aggregate})" if aggregate in ("sum", "count") else measure
    return {"dimension": dim, "measure": label, "labels": keys, "values": [round(sums[k], 4) for k in keys]}
