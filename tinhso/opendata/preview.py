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
    fields = {f["name"]: f.get("type", "string") for f in ds.table_schema.get("fields", [])}
    measures = [n for n, t in fields.items() if t in ("integer", "number") and n not in _NOT_MEASURES]
    if not measures:
        return None
    measure = measures[0]
    dims = [n for n in ("month", "year", "period") if n in fields] or \
           [n for n, t in fields.items() if t in ("string", "yearmonth", "year")]
    if not dims:
        return None
    dim = dims[0]
    sums: OrderedDict = OrderedDict()
    for row in table.select([dim, measure]).to_pylist():
        if row[measure] is None:
            continue
        key = str(row[dim])
        sums[key] = sums.get(key, 0) + row[measure]
    keys = sorted(sums) if dim in ("month", "year", "period") else list(sums)
    keys = keys[-CHART_POINTS:]
    return {"dimension": dim, "measure": measure, "labels": keys, "values": [round(sums[k], 4) for k in keys]}
