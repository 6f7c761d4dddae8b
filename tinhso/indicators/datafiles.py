"""Loading the TOML data files shipped in ``tinhso/indicators/data/``.

- ``methods.toml``: threshold sets (assessment parameters as data);
- ``catalogue.toml``: pillars and indicator definitions;
- plan files (``bt-nq10-2022.toml``) and observation files: sources, plans with their targets, and
  observations, each citing its source.

A text the product itself wrote in a data file (an observation's note or period wording, an
aggregation note, an issuer, a source's publisher) may carry its English next to it as ``<key>_en``;
:func:`english_for` gives it to the pages (the database keeps the text as written). A text the data
file wrote in English (older entries: changing it would record a revision) carries its Vietnamese as
``<key>_vi``, which :func:`vietnamese_for` gives to the Vietnamese pages.

Loading is idempotent: definitions are upserted by code, targets by (plan, indicator, milestone,
level) through :mod:`targets` (a changed target is a recorded revision, an unchanged one writes
nothing), and an observation already present in a row's history is not written again.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from django.db import transaction

from tinhso.core.errors import UserError
from tinhso.core.text import nfc
from tinhso.indicators import observations, targets
from tinhso.indicators.models import (
    AdminLevel,
    Comparator,
    Indicator,
    Observation,
    Pillar,
    Plan,
    PlanIndicator,
    Source,
    ThresholdSet,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
DEMO_FILES = ["catalogue.toml", "bt-nq10-2022.toml", "observations-dien-bien-phu-tho.toml"]
LOADER_NAME = "tinhso indicators demo loader"  # who entered what the loader wrote (pages say it in words)


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UserError("bad_data_file", f"Tệp dữ liệu {path.name} lỗi cú pháp: {exc}",
                        f"Data file {path.name} has a syntax error: {exc}", field=path.name) from exc


def _pairs(node, suffix: str, out: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            other = node.get(f"{key}{suffix}")
            if isinstance(value, str) and isinstance(other, str) and other.strip():
                out.setdefault(nfc(value.strip()), nfc(other.strip()))
            _pairs(value, suffix, out)
    elif isinstance(node, list):
        for value in node:
            _pairs(value, suffix, out)


@cache
def _texts(suffix: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for path in sorted(DATA_DIR.glob("*.toml")):
        _pairs(_read(path), suffix, out)
    return out


def english_for(text) -> str:
    """The English the data files give for ``text`` (a ``<key>_en`` next to it), else ""."""
    return _texts("_en").get(nfc(str(text or "").strip()), "") if text else ""


def vietnamese_for(text) -> str:
    """The Vietnamese the data files give for ``text`` written in English (a ``<key>_vi`` next to it), else ""."""
    return _texts("_vi").get(nfc(str(text or "").strip()), "") if text else ""


def ensure_thresholds(path: Path = DATA_DIR / "methods.toml") -> int:
    """Create the threshold sets of ``methods.toml`` that are missing (never overwrite admin edits)."""
    created = 0
    for entry in _read(path).get("threshold_set", []):
        _, made = ThresholdSet.objects.get_or_create(
            code=entry["code"],
            defaults={"name": entry["name"], "is_default": entry.get("is_default", False),
                      "params": entry.get("params", {})})
        created += made
    return created


def _text(entry: dict, key: str) -> str:
    return nfc(str(entry.get(key, "")))


def _load_sources(entries: list[dict]) -> None:
    for e in entries:
        Source.objects.update_or_create(key=e["key"], defaults={
            "title": _text(e, "title"), "publisher": _text(e, "publisher"), "url": e.get("url", ""),
            "published": e.get("published"), "reference": e.get("reference", ""), "note": _text(e, "note")})


def _load_catalogue(data: dict) -> None:
    for e in data.get("pillar", []):
        Pillar.objects.update_or_create(code=e["code"], defaults={
            "name_vi": _text(e, "name_vi"), "name_en": _text(e, "name_en"), "order": e.get("order", 0)})
    for e in data.get("indicator", []):
        Indicator.objects.update_or_create(code=e["code"], defaults={
            "name_vi": _text(e, "name_vi"), "name_en": _text(e, "name_en"), "unit_of_measure": e["unit"],
            "direction": e.get("direction", "higher"), "natural_limit": e.get("limit"),
            "aggregation": e.get("aggregation", "not_aggregable"), "weight_name": e.get("weight", ""),
            "aggregation_note": _text(e, "aggregation_note"), "definition_note": _text(e, "definition_note")})


def _load_plans(entries: list[dict], note: str = "") -> None:
    for e in entries:
        plan, _ = Plan.objects.update_or_create(code=e["code"], defaults={
            "title_vi": _text(e, "title_vi"), "title_en": _text(e, "title_en"), "issuer": _text(e, "issuer"),
            "document_type": _text(e, "document_type"), "document_number": _text(e, "document_number"),
            "document_date": e["document_date"], "unit": observations.resolve_unit(e["unit"]),
            "period_start": e["period_start"], "period_end": e["period_end"], "base_year": e["base_year"],
            "milestones": list(e["milestones"]),
            "source": Source.objects.get(key=e["source"]) if e.get("source") else None,
            "note": _text(e, "note")})
        source = plan.source
        for order, item_entry in enumerate(e.get("item", []), start=1):
            item, _ = PlanIndicator.objects.update_or_create(
                plan=plan, indicator=Indicator.objects.get(code=item_entry["indicator"]), defaults={
                    "pillar": Pillar.objects.get(code=item_entry["pillar"]), "order": order,
                    "wording_vi": _text(item_entry, "wording_vi")})
            for t in item_entry.get("targets", []):
                targets.record(
                    item, t["milestone"], t.get("level", AdminLevel.ALL), by_name=LOADER_NAME, note=note,
                    value=float(t["value"]), value_high=t.get("value_high"),
                    comparator=t.get("comparator", Comparator.AT_MOST if item.indicator.direction == "lower"
                                     else Comparator.AT_LEAST),
                    source=Source.objects.get(key=t["source"]) if t.get("source") else source,
                    quote=_text(t, "quote"))


def _load_observations(entries: list[dict]) -> dict[str, int]:
    counts = {"created": 0, "revised": 0, "unchanged": 0}
    for e in entries:
        data = observations.ObservationInput(
            indicator=Indicator.objects.get(code=e["indicator"]), unit=observations.resolve_unit(e["unit"]),
            period=int(e["period"]), source=Source.objects.get(key=e["source"]),
            value=float(e["value"]) if "value" in e else None, level=e.get("level", AdminLevel.ALL),
            qualifier=e.get("qualifier", ""), reported_met_milestone=e.get("reported_met_milestone"),
            period_label=e.get("period_label", ""), quote=e.get("quote", ""), note=e.get("note", ""),
            revision_note=e.get("revision_note", ""))
        # A row already anywhere in this key's history (e.g. an estimate later revised) is not re-added.
        if any(data.same_as(o) for o in Observation.objects.filter(
                indicator=data.indicator, unit=data.unit, level=data.level, period=data.period)):
            counts["unchanged"] += 1
            continue
        _, outcome = observations.record(data, entered_by_name=LOADER_NAME)
        counts[outcome] += 1
    return counts


@transaction.atomic
def load_file(path: Path) -> dict[str, int]:
    data = _read(path)
    _load_sources(data.get("source", []))
    _load_catalogue(data)
    _load_plans(data.get("plan", []), note=path.name)
    return _load_observations(data.get("observation", []))


def load_demo_files(out=print) -> dict[str, int]:
    ensure_thresholds()
    total = {"created": 0, "revised": 0, "unchanged": 0}
    for name in DEMO_FILES:
        for key, n in load_file(DATA_DIR / name).items():
            total[key] += n
    return total
