"""What a dataset page shows of the data: the first rows (read back from the Parquet distribution) and a
chart's series (a measure summed over the table's time or first text dimension)."""

from __future__ import annotations

from collections import OrderedDict

import pyarrow.parquet as pq
from django.utils.translation import gettext

from tinhso.core.i18n import english_now
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


def titles(ds: Dataset) -> dict[str, str]:
    """How each column is shown: its title in the dataset's Table Schema, else its name. A Table Schema has
    one title, in Vietnamese for tinhso's generated datasets, whose field names are English: on an English
    page they show the name as words ("commune_code" → "Commune code"). An uploaded dataset keeps the
    titles its publisher wrote (its own words, like its title when it has no English one)."""
    english = english_now() and ds.origin == "generated"
    out = {}
    for f in ds.table_schema.get("fields", []):
        if "name" in f:
            name = str(f["name"])
            out[name] = name.replace("_", " ").capitalize() if english else str(f.get("title") or name)
    return out


def preview(ds: Dataset) -> dict:
    table = _table(ds)
    if table is None:
        return {"columns": [], "headers": [], "rows": [], "total": 0, "chart": None}
    head = table.slice(0, PREVIEW_ROWS).to_pylist()
    columns = table.column_names
    named = titles(ds)
    return {"columns": columns, "headers": [named.get(c, c) for c in columns],
            "rows": [[r.get(c) for c in columns] for r in head], "total": table.num_rows, "chart": chart(ds, table)}


def _in_sentence(title: str) -> str:
    """A title inside a sentence: its first letter lower-cased unless it starts an acronym ("IOC")."""
    return title[0].lower() + title[1:] if len(title) > 1 and title[1].islower() else title


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
    named = titles(ds)
    label = gettext("Số dòng") if aggregate == "count" else named.get(measure, measure)
    return {"dimension": dim, "measure": label, "dimension_title": _in_sentence(named.get(dim, dim)),
            "labels": keys, "values": [round(sums[k], 4) for k in keys]}
