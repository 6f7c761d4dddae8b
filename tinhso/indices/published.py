"""Published index results (:class:`~tinhso.indices.models.PublishedResult`): import and rank history.

``tinhso index import-published FILE`` reads a CSV/XLSX with the columns ``index, period,
structure, unit_code, unit_name, score, rank, of_total, source[, note]``; every bad row is named
and a file with any error imports nothing; re-importing a row updates it. The demo loads
``data/published-ranks.csv``: ranks quoted in the seeds and the research, each with its source.

:func:`rank_history` gives a province's published ranks; after the 2025 merger the former
provinces' ranks are shown side by side under the new province. A rank the data does not hold
is ``None`` (shown as missing), never estimated.
"""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from tinhso.core.errors import UserError
from tinhso.core.tabular import RowError, cell_text, read_table
from tinhso.core.text import nfc
from tinhso.indices.models import PublishedResult

COLUMNS = ("index", "period", "structure", "unit_code", "unit_name", "score", "rank", "of_total", "source")
OPTIONAL = ("note",)
DEMO_FILE = Path(__file__).parent / "data" / "published-ranks.csv"
LABELS = {"dti": "DTI", "pci": "PCI", "svc-766": "766", "par": "PAR Index", "sipas": "SIPAS", "papi": "PAPI"}


def _number(text: str, kind, row: int, column: str, errors: list[RowError]):
    if text == "":
        return None
    try:
        value = kind(text.replace(",", ".")) if kind is float else int(text)
    except ValueError:
        errors.append(RowError(row, column, f"không phải số / not a number: {text!r}"))
        return None
    if kind is int and value < 1:
        errors.append(RowError(row, column, "phải ≥ 1 / must be ≥ 1"))
    return value


def parse(content: bytes, filename: str) -> list[PublishedResult]:
    """Rows of a published-results file, or a :class:`UserError` naming every bad row."""
    rows = read_table(content, filename)
    if not rows:
        raise UserError("empty_file", "Tệp trống", "The file is empty", field="file")
    header = [nfc(cell_text(c)).strip().lower() for c in rows[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise UserError("missing_columns", f"Thiếu cột: {', '.join(missing)}", f"Missing columns: {', '.join(missing)}",
                        field="file", details={"missing": missing})
    at = {name: header.index(name) for name in COLUMNS + OPTIONAL if name in header}
    errors: list[RowError] = []
    out: list[PublishedResult] = []
    seen: set[tuple] = set()
    for number, raw in enumerate(rows[1:], start=2):
        cells = {name: nfc(cell_text(raw[i] if i < len(raw) else None)).strip() for name, i in at.items()}
        if not any(cells.values()):
            continue
        for name in ("index", "period", "structure", "unit_code", "unit_name", "source"):
            if not cells[name]:
                errors.append(RowError(number, name, "bắt buộc / required"))
        if cells["structure"] and cells["structure"] not in PublishedResult.Structure.values:
            errors.append(RowError(number, "structure", "legacy hoặc current / legacy or current"))
        score = _number(cells["score"], float, number, "score", errors)
        rank = _number(cells["rank"], int, number, "rank", errors)
        of_total = _number(cells["of_total"], int, number, "of_total", errors)
        if rank and of_total and rank > of_total:
            errors.append(RowError(number, "rank", f"hạng {rank} > {of_total} / rank above the total"))
        key = (cells["index"].lower(), cells["period"], cells["structure"], cells["unit_code"])
        if key in seen:
            errors.append(RowError(number, "unit_code", "trùng dòng / duplicate row"))
        seen.add(key)
        for name, limit in (("index", 32), ("period", 16), ("unit_code", 8), ("unit_name", 120), ("source", 500),
                            ("note", 300)):
            if len(cells.get(name, "")) > limit:
                errors.append(RowError(number, name, f"dài quá {limit} ký tự / longer than {limit} characters"))
        out.append(PublishedResult(index=key[0], period=key[1], structure=key[2], unit_code=key[3],
                                   unit_name=cells["unit_name"], score=score, rank=rank, of_total=of_total,
                                   source=cells["source"], note=cells.get("note", "")))
    if errors:
        raise UserError("invalid_rows", f"{len(errors)} lỗi; không nhập dòng nào",
                        f"{len(errors)} errors; nothing imported", field="file",
                        details=[e.as_dict() for e in errors])
    return out


def import_rows(rows: list[PublishedResult]) -> dict:
    created = updated = 0
    with transaction.atomic():
        for row in rows:
            _, was_created = PublishedResult.objects.update_or_create(
                index=row.index, period=row.period, structure=row.structure, unit_code=row.unit_code,
                defaults={"unit_name": row.unit_name, "score": row.score, "rank": row.rank,
                          "of_total": row.of_total, "source": row.source, "note": row.note})
            created += was_created
            updated += not was_created
    return {"created": created, "updated": updated}


def import_file(content: bytes, filename: str) -> dict:
    return import_rows(parse(content, filename))


def load_demo() -> dict:
    return import_file(DEMO_FILE.read_bytes(), DEMO_FILE.name)


def _units_of(province_code: str) -> list[tuple[str, str, str, str]]:
    """(structure, code, name, English name) of a current province and of the former provinces merged
    into it."""
    from tinhso.geo.models import Level, Structure, Succession, Unit

    units = [(Structure.CURRENT.value, u.code, u.name, u.name_en)
             for u in Unit.objects.filter(structure=Structure.CURRENT, level=Level.PROVINCE, code=province_code)]
    for edge in (Succession.objects.filter(new__code=province_code, new__structure=Structure.CURRENT,
                                           old__level=Level.PROVINCE).select_related("old").order_by("old__code")):
        units.append((Structure.LEGACY.value, edge.old.code, edge.old.name, edge.old.name_en))
    return units


def rank_history(province_code: str) -> dict:
    """``{"available", "series": [{"index", "label", "label_en", "structure", "unit_code", "unit_name",
    "unit_name_en", "points"}]}``."""
    units = _units_of(province_code)
    series = []
    for index in PublishedResult.objects.order_by("index").values_list("index", flat=True).distinct():
        periods = sorted(set(PublishedResult.objects.filter(index=index).values_list("period", flat=True)))
        for structure, code, name, name_en in units:
            rows = {r.period: r for r in PublishedResult.objects.filter(index=index, structure=structure,
                                                                        unit_code=code)}
            relevant = [p for p in periods if p in rows or structure == "legacy" and p < "2025"
                        or structure == "current" and p >= "2025"]
            if not rows:
                continue
            series.append({
                "index": index, "label": f"{LABELS.get(index, index.upper())} · {name}",
                "label_en": f"{LABELS.get(index, index.upper())} · {name_en or name}",
                "structure": structure, "unit_code": code, "unit_name": name, "unit_name_en": name_en or name,
                "points": [{"period": p, "rank": rows[p].rank if p in rows else None,
                            "of": rows[p].of_total if p in rows else None,
                            "score": rows[p].score if p in rows else None,
                            "source": rows[p].source if p in rows else None} for p in relevant],
            })
    return {"available": bool(series), "series": series}
