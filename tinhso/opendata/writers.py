"""Write one table in every distribution format: CSV and XLSX (through :mod:`tinhso.core.cellsafe`), JSON,
Parquet (pyarrow), GeoJSON (points, when the table has ``lat``/``lon``), SDMX-CSV 2.0 (statistical
series, written here: the format is a CSV with three fixed leading columns, so ``sdmx1`` is not needed)
and a Frictionless Data Package v2 ``datapackage.json`` describing the CSV.

A :class:`Table` names its fields with Frictionless Table Schema types; values are Python values
(str, int, float, bool, None, ``datetime.date``)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from dataclasses import dataclass, field

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq

from tinhso.core import cellsafe

DP_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
DR_PROFILE = "https://datapackage.org/profiles/2.0/dataresource.json"
TS_PROFILE = "https://datapackage.org/profiles/2.0/tableschema.json"
MEDIA_TYPES = {"CSV": "text/csv", "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "JSON": "application/json", "Parquet": "application/vnd.apache.parquet",
               "GeoJSON": "application/geo+json", "datapackage": "application/json",
               "SDMX-CSV": "application/vnd.sdmx.data+csv; version=2.0.0"}
_ARROW = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(),
          "date": pa.date32(), "year": pa.int32(), "yearmonth": pa.string()}


@dataclass
class Field:
    name: str
    type: str = "string"
    title: str = ""
    description: str = ""
    required: bool = False             # Table Schema ``constraints: {"required": true}``: no row leaves it empty

    def as_schema(self) -> dict:
        out = {"name": self.name, "type": self.type}
        if self.title:
            out["title"] = self.title
        if self.description:
            out["description"] = self.description
        if self.required:
            out["constraints"] = {"required": True}
        return out


@dataclass
class Sdmx:
    """How a table is a statistical series: the dataflow and which fields are dimensions and the value."""

    dataflow: str                      # e.g. "TINHSO:DF_REPORTS(1.0)"
    dimensions: list[str]
    measure: str
    attributes: list[str] = field(default_factory=list)


@dataclass
class Table:
    name: str                          # file stem, e.g. "thong-ke-phan-anh"
    fields: list[Field]
    rows: list[dict]
    sdmx: Sdmx | None = None
    point: tuple[str, str] | None = None   # (lat field, lon field) for GeoJSON
    chart: dict | None = None          # the dataset page's chart: dimension, measure, aggregate, filter

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def schema(self) -> dict:
        return {"$schema": TS_PROFILE, "fields": [f.as_schema() for f in self.fields]}


def _text(value) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def csv_bytes(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(cellsafe.csv_row(table.names))
    for row in table.rows:
        writer.writerow(cellsafe.csv_row(_text(row.get(n)) for n in table.names))
    return out.getvalue().encode("utf-8")


def xlsx_bytes(table: Table) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = table.name[:31]
    ws.append(table.names)
    for row in table.rows:
        ws.append([row.get(n) for n in table.names])
    return cellsafe.workbook_bytes(wb)


def _json_default(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def json_bytes(table: Table) -> bytes:
    doc = {"fields": [f.as_schema() for f in table.fields], "data": [{n: row.get(n) for n in table.names}
                                                                    for row in table.rows]}
    return json.dumps(doc, ensure_ascii=False, default=_json_default, indent=1).encode("utf-8")


def parquet_bytes(table: Table) -> bytes:
    schema = pa.schema([(f.name, _ARROW.get(f.type, pa.string())) for f in table.fields])
    columns = {f.name: [row.get(f.name) for row in table.rows] for f in table.fields}
    arrow = pa.table(columns, schema=schema)
    out = io.BytesIO()
    pq.write_table(arrow, out)
    return out.getvalue()


def geojson_bytes(table: Table) -> bytes:
    lat, lon = table.point
    features = []
    for row in table.rows:
        if row.get(lat) is None or row.get(lon) is None:
            continue
        props = {n: row.get(n) for n in table.names if n not in (lat, lon)}
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [row[lon], row[lat]]},
                         "properties": props})
    doc = {"type": "FeatureCollection", "features": features}
    return json.dumps(doc, ensure_ascii=False, default=_json_default).encode("utf-8")


def sdmx_csv_bytes(table: Table) -> bytes:
    """SDMX-CSV 2.0: STRUCTURE, STRUCTURE_ID, ACTION, then dimensions, the measure and attributes."""
    spec = table.sdmx
    columns = [*spec.dimensions, spec.measure, *spec.attributes]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["STRUCTURE", "STRUCTURE_ID", "ACTION", *columns])
    for row in table.rows:
        writer.writerow(cellsafe.csv_row(["dataflow", spec.dataflow, "I", *(_text(row.get(c)) for c in columns)]))
    return out.getvalue().encode("utf-8")


def datapackage_bytes(table: Table, meta: dict, csv_content: bytes) -> bytes:
    """The Data Package (v2) of the CSV distribution; ``meta`` gives name, title, description, licence."""
    resource = {"$schema": DR_PROFILE, "name": table.name, "path": f"{table.name}.csv", "type": "table",
                "format": "csv", "mediatype": "text/csv", "encoding": "utf-8", "bytes": len(csv_content),
                "hash": "sha256:" + hashlib.sha256(csv_content).hexdigest(), "schema": table.schema()}
    doc = {"$schema": DP_PROFILE, "name": meta["name"], "title": meta["title"],
           "description": meta["description"], "version": meta.get("version", "1.0.0"),
           "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
                         "title": "Creative Commons Attribution 4.0"}],
           "created": meta.get("created"), "keywords": meta.get("keywords", []), "resources": [resource]}
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")


def render_all(table: Table, meta: dict) -> list[tuple[str, str, bytes]]:
    """Every distribution of ``table``: (format, file name, bytes)."""
    content = csv_bytes(table)
    files = [("CSV", f"{table.name}.csv", content), ("XLSX", f"{table.name}.xlsx", xlsx_bytes(table)),
             ("JSON", f"{table.name}.json", json_bytes(table)), ("Parquet", f"{table.name}.parquet", parquet_bytes(table))]
    if table.point:
        files.append(("GeoJSON", f"{table.name}.geojson", geojson_bytes(table)))
    if table.sdmx:
        files.append(("SDMX-CSV", f"{table.name}.sdmx.csv", sdmx_csv_bytes(table)))
    files.append(("datapackage", "datapackage.json", datapackage_bytes(table, meta, content)))
    return files
