"""The administrative-units registry: loading, looking up and searching :class:`~tinhso.geo.models.Unit`.

The data come from the ``vietnamadminunits`` package (MIT), read as files, never by importing its
Python code (which pulls in geopy and friends and is not needed):

- ``data/dataset.db`` (SQLite): ``admin_units`` holds the current structure (34 provinces /
  3,321 communes) and ``admin_units_legacy`` the structure as at 30 June 2025 (63 provinces /
  696 districts / 10,035 communes), with official codes and centroids;
- ``data/converter_2025.json``: the old→new crosswalk keyed on folded names
  ("tinhbinhthuan_thanhphophanthiet_phuongphuthuy"), which we join to codes through the
  ``provinceKey`` / ``districtKey`` / ``wardKey`` columns of the data base.

Loading is one transaction of bulk inserts/updates keyed by (structure, code), so running it again
with the same package version does nothing and a newer version updates rows in place (units are
referenced by reports and boundaries and are never deleted here). See ``docs/data-sources.md``.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import importlib.util
import json
import re
import sqlite3
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from tinhso.core.errors import UserError
from tinhso.core.text import fold, nfc
from tinhso.geo.models import REORGANISATION_DATE, Level, RegistryLoad, Structure, Succession, Unit

SOURCE_PACKAGE = "vietnamadminunits"
SOURCE_LICENCE = "MIT"
SOURCE_URL = "https://github.com/tranngocminhhieu/vietnamadminunits"
CROSSWALK_SOURCE = "vietnamadminunits converter_2025.json"

LEGACY_VALID_TO = REORGANISATION_DATE - dt.timedelta(days=1)  # 30 June 2025
CURRENT_VALID_FROM = REORGANISATION_DATE

# How each unit type reads in English: the word, and whether it goes before the name.
# "Phường Phan Thiết" → "Phan Thiet Ward", but "Phường 1" → "Ward 1" and "Quận 1" → "District 1".
ENGLISH_TYPES = {
    "tỉnh": "Province",
    "thành phố": "City",
    "quận": "District",
    "huyện": "District",
    "thị xã": "Town",
    "thị trấn": "Township",
    "xã": "Commune",
    "phường": "Ward",
    "đặc khu": "Special Zone",
}

LEVEL_ORDER = {Level.PROVINCE: 0, Level.DISTRICT: 1, Level.COMMUNE: 2}
STRUCTURE_ORDER = {Structure.CURRENT: 0, Structure.LEGACY: 1}
STRUCTURE_VI = {Structure.CURRENT: "hiện hành (từ 1/7/2025)", Structure.LEGACY: "cũ (trước 1/7/2025)"}
CODE_WIDTHS = {Level.PROVINCE: 2, Level.DISTRICT: 3, Level.COMMUNE: 5}
MAX_LIMIT = 500

_DIGITS = re.compile(r"^\d{1,5}$")

Out = Callable[..., object]


# --------------------------------------------------------------------------------------------
# Reading the source package
# --------------------------------------------------------------------------------------------


class RegistrySourceError(RuntimeError):
    """The registry package is missing or its files are not what this loader expects."""


def source_version() -> str:
    return importlib.metadata.version(SOURCE_PACKAGE)


def source_dir() -> Path:
    """The package's ``data`` directory, found without importing the package."""
    spec = importlib.util.find_spec(SOURCE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RegistrySourceError(f"Python package {SOURCE_PACKAGE!r} is not installed")
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    for name in ("dataset.db", "converter_2025.json"):
        if not (data / name).is_file():
            raise RegistrySourceError(f"{data / name} is missing from {SOURCE_PACKAGE}")
    return data


def _latin(text: str) -> str:
    """Text without Vietnamese marks, case kept: "Đắk Nông" → "Dak Nong" (for English names)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def english_name(unit_type: str, full_name: str) -> str:
    """English name from the type and the full Vietnamese name ("Quận 1" → "District 1")."""
    word = ENGLISH_TYPES[unit_type]
    rest = _latin(full_name[len(unit_type) + 1 :].strip())
    if rest.isdigit():
        return f"{word} {rest}"
    return f"{rest} {word}"


def split_type(full_name: str) -> tuple[str, str]:
    """(unit_type in lower case, short name) from a full name such as "Thành phố Phan Thiết".

    The type is read from the name, not from the source's type column: the two disagree for 7
    units (e.g. "Phường Việt Hòa" typed "Xã") and the name agrees with the official list.
    Numbered units keep their full name as short name ("Quận 1"), since "1" alone names nothing.
    """
    name = nfc(full_name)
    for unit_type in _TYPES_LONGEST_FIRST:
        if name.lower().startswith(unit_type + " "):
            short = name[len(unit_type) + 1 :].strip()
            return unit_type, (name if short.isdigit() else short)
    raise RegistrySourceError(f"cannot tell the type of {full_name!r}")


_TYPES_LONGEST_FIRST = sorted(ENGLISH_TYPES, key=len, reverse=True)


@dataclass
class UnitRecord:
    structure: str
    level: str
    code: str
    name: str
    unit_type: str
    short_name: str
    province_code: str
    parent_code: str | None
    lat: float | None
    lon: float | None
    area_km2: float | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.structure, self.code)

    def fields(self) -> dict:
        return {
            "level": self.level,
            "unit_type": self.unit_type,
            "name": self.name,
            "short_name": self.short_name,
            "name_ascii": fold(self.name),
            "name_en": english_name(self.unit_type, self.name),
            "province_code": self.province_code,
            "lat": self.lat,
            "lon": self.lon,
            "area_km2": self.area_km2,
            "valid_from": CURRENT_VALID_FROM if self.structure == Structure.CURRENT else None,
            "valid_to": LEGACY_VALID_TO if self.structure == Structure.LEGACY else None,
        }


@dataclass
class EdgeRecord:
    old: tuple[str, str]
    new: tuple[str, str]
    whole: bool
    is_default: bool
    kind: str  # province / district / commune, for the counts only


@dataclass
class SourceData:
    version: str
    units: list[UnitRecord]
    edges: list[EdgeRecord]
    unjoined: list[str] = field(default_factory=list)
    notes: dict = field(default_factory=dict)


def _rows(db: sqlite3.Connection, sql: str) -> list[sqlite3.Row]:
    return list(db.execute(sql))


def read_source() -> SourceData:
    """Read both structures and the crosswalk from the installed package (no database writes)."""
    data = source_dir()
    db = sqlite3.connect(f"file:{data / 'dataset.db'}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    try:
        current = _rows(db, "SELECT * FROM admin_units ORDER BY wardCode")
        legacy = _rows(db, "SELECT * FROM admin_units_legacy ORDER BY provinceCode, districtCode, wardCode")
    finally:
        db.close()
    converter = json.loads((data / "converter_2025.json").read_text(encoding="utf-8"))

    units: dict[tuple[str, str], UnitRecord] = {}
    type_conflicts: list[str] = []

    def _typed(full_name: str, declared: str | None) -> tuple[str, str]:
        unit_type, short = split_type(full_name)
        if declared and nfc(declared).lower() != unit_type:
            type_conflicts.append(f"{nfc(full_name)} (typed {declared!r})")
        return unit_type, short

    def add(record: UnitRecord) -> None:
        known = units.get(record.key)
        if known is None:
            units[record.key] = record
        elif (known.name, known.parent_code) != (record.name, record.parent_code):
            raise RegistrySourceError(f"{record.structure} code {record.code} names both {known.name!r} "
                                      f"and {record.name!r}")

    cur_prov_by_key: dict[str, str] = {}
    cur_ward_by_key: dict[tuple[str, str], str] = {}
    for row in current:
        ptype, pshort = split_type(row["province"])
        add(UnitRecord(Structure.CURRENT, Level.PROVINCE, row["provinceCode"], nfc(row["province"]), ptype,
                       pshort, row["provinceCode"], None, row["provinceLat"], row["provinceLon"]))
        wtype, wshort = _typed(row["ward"], row["wardType"])
        add(UnitRecord(Structure.CURRENT, Level.COMMUNE, row["wardCode"], nfc(row["ward"]), wtype, wshort,
                       row["provinceCode"], row["provinceCode"], row["wardLat"], row["wardLon"],
                       row["wardAreaKm2"]))
        cur_prov_by_key[row["provinceKey"]] = row["provinceCode"]
        cur_ward_by_key[(row["provinceKey"], row["wardKey"])] = row["wardCode"]

    leg_prov_by_key: dict[str, str] = {}
    leg_dist_by_key: dict[str, str] = {}  # "province_district" → district code
    leg_ward_by_key: dict[str, str] = {}  # "province_district_ward" → commune code
    for row in legacy:
        ptype, pshort = split_type(row["province"])
        add(UnitRecord(Structure.LEGACY, Level.PROVINCE, row["provinceCode"], nfc(row["province"]), ptype,
                       pshort, row["provinceCode"], None, row["provinceLat"], row["provinceLon"]))
        dtype, dshort = _typed(row["district"], row["districtType"])
        add(UnitRecord(Structure.LEGACY, Level.DISTRICT, row["districtCode"], nfc(row["district"]), dtype,
                       dshort, row["provinceCode"], row["provinceCode"], row["districtLat"], row["districtLon"]))
        leg_prov_by_key[row["provinceKey"]] = row["provinceCode"]
        district_key = f"{row['provinceKey']}_{row['districtKey']}"
        leg_dist_by_key[district_key] = row["districtCode"]
        if row["wardCode"] is None:
            continue  # island districts without communes (Côn Đảo, Lý Sơn, …)
        wtype, wshort = _typed(row["ward"], row["wardType"])
        add(UnitRecord(Structure.LEGACY, Level.COMMUNE, row["wardCode"], nfc(row["ward"]), wtype, wshort,
                       row["provinceCode"], row["districtCode"], row["wardLat"], row["wardLon"]))
        leg_ward_by_key[f"{district_key}_{row['wardKey']}"] = row["wardCode"]

    edges: list[EdgeRecord] = []
    unjoined: list[str] = []

    def legacy_target(old_key: str) -> tuple[str, str] | None:
        """An old "prov_dist_ward" key → (level, code); "prov_dist_" (no ward) names a whole district."""
        if old_key in leg_ward_by_key:
            return (Level.COMMUNE, leg_ward_by_key[old_key])
        if old_key.endswith("_") and old_key[:-1] in leg_dist_by_key:
            return (Level.DISTRICT, leg_dist_by_key[old_key[:-1]])
        return None

    for new_pkey, old_pkeys in converter["DICT_PROVINCE"].items():
        new_code = cur_prov_by_key.get(new_pkey)
        for old_pkey in old_pkeys:
            old_code = leg_prov_by_key.get(old_pkey)
            if new_code is None or old_code is None:
                unjoined.append(f"DICT_PROVINCE {old_pkey} → {new_pkey}")
                continue
            edges.append(EdgeRecord((Structure.LEGACY, old_code), (Structure.CURRENT, new_code), True, True,
                                    Level.PROVINCE))

    for new_pkey, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_wkey, old_keys in wards.items():
            new_code = cur_ward_by_key.get((new_pkey, new_wkey))
            for old_key in old_keys:
                target = legacy_target(old_key)
                if new_code is None or target is None:
                    unjoined.append(f"DICT_PROVINCE_WARD_NO_DIVIDED {old_key} → {new_pkey}/{new_wkey}")
                    continue
                edges.append(EdgeRecord((Structure.LEGACY, target[1]), (Structure.CURRENT, new_code), True, True,
                                        target[0]))

    split_defaults: Counter[int] = Counter()
    for new_pkey, split_wards in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, candidates in split_wards.items():
            target = legacy_target(old_key)
            split_defaults[sum(bool(c["isDefaultNewWard"]) for c in candidates)] += 1
            for candidate in candidates:
                new_code = cur_ward_by_key.get((new_pkey, candidate["newWardKey"]))
                if new_code is None or target is None:
                    unjoined.append(f"DICT_PROVINCE_WARD_DIVIDED {old_key} → {new_pkey}/{candidate['newWardKey']}")
                    continue
                edges.append(EdgeRecord((Structure.LEGACY, target[1]), (Structure.CURRENT, new_code),
                                        len(candidates) == 1, bool(candidate["isDefaultNewWard"]), target[0]))

    notes = {
        "legacy_rows": len(legacy),
        "type_column_conflicts": sorted(set(type_conflicts)),
        "legacy_districts_without_communes": sum(1 for r in legacy if r["wardCode"] is None),
        "split_old_communes_by_number_of_defaults": {str(k): v for k, v in sorted(split_defaults.items())},
    }
    return SourceData(source_version(), list(units.values()), edges, unjoined, notes)


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def _counts(source: SourceData) -> dict:
    units = Counter((u.structure, u.level) for u in source.units)
    types = Counter(u.unit_type for u in source.units if u.structure == Structure.CURRENT
                    and u.level == Level.COMMUNE)
    edges = Counter(e.kind for e in source.edges)
    successors = Counter(e.old for e in source.edges if e.kind == Level.COMMUNE)
    return {
        "current_provinces": units[(Structure.CURRENT, Level.PROVINCE)],
        "current_communes": units[(Structure.CURRENT, Level.COMMUNE)],
        "current_communes_by_type": dict(sorted(types.items())),
        "legacy_provinces": units[(Structure.LEGACY, Level.PROVINCE)],
        "legacy_districts": units[(Structure.LEGACY, Level.DISTRICT)],
        "legacy_communes": units[(Structure.LEGACY, Level.COMMUNE)],
        "successions": {str(k): v for k, v in sorted(edges.items())},
        "legacy_communes_split": sum(1 for n in successors.values() if n > 1),
        "unjoined": len(source.unjoined),
        "unjoined_keys": source.unjoined[:50],
        **source.notes,
    }


def loaded_version() -> RegistryLoad | None:
    return RegistryLoad.objects.filter(source=SOURCE_PACKAGE).order_by("-id").first()


def ensure_loaded(out: Out = print, *, force: bool = False) -> RegistryLoad:
    """Load the registry unless this package version is already loaded (``force`` re-syncs anyway).

    Idempotent: rows are matched on (structure, code) and crosswalk edges on (old, new), so a
    second run creates nothing.
    """
    version = source_version()
    done = RegistryLoad.objects.filter(source=SOURCE_PACKAGE, version=version).order_by("-id").first()
    if done is not None and not force:
        out(f"Unit registry already loaded ({SOURCE_PACKAGE} {version}) / Danh mục đơn vị hành chính đã có.")
        return done

    started = time.monotonic()
    source = read_source()
    with transaction.atomic():
        unit_stats = _sync_units(source.units)
        edge_stats = _sync_edges(source.edges)
        counts = _counts(source) | {"units_sync": unit_stats, "edges_sync": edge_stats,
                                    "seconds": round(time.monotonic() - started, 2)}
        load = RegistryLoad.objects.create(source=SOURCE_PACKAGE, version=version, licence=SOURCE_LICENCE,
                                           counts=counts)
    out(
        f"Unit registry loaded from {SOURCE_PACKAGE} {version} ({SOURCE_LICENCE}) in {counts['seconds']} s: "
        f"current {counts['current_provinces']} provinces / {counts['current_communes']} communes; legacy "
        f"{counts['legacy_provinces']} / {counts['legacy_districts']} / {counts['legacy_communes']}; "
        f"{sum(counts['successions'].values())} crosswalk edges; {counts['unjoined']} unjoined. "
        f"Units created {unit_stats['created']}, updated {unit_stats['updated']}."
    )
    if source.unjoined:
        out("Crosswalk entries that do not join to a code: " + "; ".join(source.unjoined[:20]))
    return load


_UNIT_FIELDS = ["level", "unit_type", "name", "short_name", "name_ascii", "name_en", "province_code", "lat",
                "lon", "area_km2", "valid_from", "valid_to", "parent_id"]


def _sync_units(records: list[UnitRecord]) -> dict:
    """Create missing units and update changed ones, parents before children."""
    ids: dict[tuple[str, str], int] = {}
    existing = {(u.structure, u.code): u for u in Unit.objects.all()}
    created = updated = 0
    for level in (Level.PROVINCE, Level.DISTRICT, Level.COMMUNE):
        to_create, to_update = [], []
        for record in (r for r in records if r.level == level):
            values = record.fields()
            values["parent_id"] = ids[(record.structure, record.parent_code)] if record.parent_code else None
            unit = existing.get(record.key)
            if unit is None:
                to_create.append(Unit(structure=record.structure, code=record.code, **values))
            elif any(getattr(unit, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(unit, name, value)
                to_update.append(unit)
        Unit.objects.bulk_create(to_create, batch_size=2000)
        Unit.objects.bulk_update(to_update, _UNIT_FIELDS, batch_size=1000)
        created += len(to_create)
        updated += len(to_update)
        ids.update({(s, c): pk for s, c, pk in Unit.objects.filter(level=level).values_list("structure", "code", "pk")})
    wanted = {r.key for r in records}
    return {"created": created, "updated": updated,
            "not_in_source": sum(1 for key in existing if key not in wanted)}


def _sync_edges(edges: list[EdgeRecord]) -> dict:
    ids = {(s, c): pk for s, c, pk in Unit.objects.values_list("structure", "code", "pk")}
    existing = {(e.old_id, e.new_id): e for e in Succession.objects.all()}
    to_create, to_update, seen = [], [], set()
    for edge in edges:
        old_id, new_id = ids[edge.old], ids[edge.new]
        if (old_id, new_id) in seen:
            continue
        seen.add((old_id, new_id))
        found = existing.get((old_id, new_id))
        if found is None:
            to_create.append(Succession(old_id=old_id, new_id=new_id, whole=edge.whole, is_default=edge.is_default,
                                        effective=REORGANISATION_DATE, source=CROSSWALK_SOURCE))
        elif (found.whole, found.is_default, found.source) != (edge.whole, edge.is_default, CROSSWALK_SOURCE):
            found.whole, found.is_default, found.source = edge.whole, edge.is_default, CROSSWALK_SOURCE
            to_update.append(found)
    Succession.objects.bulk_create(to_create, batch_size=2000)
    Succession.objects.bulk_update(to_update, ["whole", "is_default", "source"], batch_size=1000)
    # Edges of this source that the new version no longer has are wrong now: drop them.
    stale = [pk for key, e in existing.items() if key not in seen and e.source == CROSSWALK_SOURCE
             for pk in [e.pk]]
    Succession.objects.filter(pk__in=stale).delete()
    return {"created": len(to_create), "updated": len(to_update), "removed": len(stale)}


# --------------------------------------------------------------------------------------------
# Looking up
# --------------------------------------------------------------------------------------------


def summary() -> dict | None:
    """What is loaded, for the landing page and ``tinhso units summary``; None before the first load."""
    load = loaded_version()
    if load is None:
        return None
    per = Counter(Unit.objects.values_list("structure", "level"))
    return {
        "current_provinces": per[(Structure.CURRENT, Level.PROVINCE)],
        "current_communes": per[(Structure.CURRENT, Level.COMMUNE)],
        "legacy_provinces": per[(Structure.LEGACY, Level.PROVINCE)],
        "legacy_districts": per[(Structure.LEGACY, Level.DISTRICT)],
        "legacy_communes": per[(Structure.LEGACY, Level.COMMUNE)],
        "successions": Succession.objects.count(),
        "source": load.source,
        "version": load.version,
        "licence": load.licence,
        "loaded_at": load.loaded_at,
    }


def installation_province() -> Unit | None:
    """The current province this installation serves (``settings.PROVINCE_CODE``)."""
    code = str(getattr(settings, "PROVINCE_CODE", "") or "").strip()
    if not code:
        return None
    return Unit.objects.filter(structure=Structure.CURRENT, level=Level.PROVINCE,
                               code=code.zfill(CODE_WIDTHS[Level.PROVINCE]) if code.isdigit() else code).first()


def _check_structure(structure: str | None, field_name: str = "structure") -> str | None:
    if structure in (None, ""):
        return None
    if structure not in Structure.values:
        raise UserError("invalid_structure", f"Cơ cấu không hợp lệ: {structure!r} (current hoặc legacy).",
                        f"Invalid structure {structure!r}: use current or legacy.", field=field_name)
    return structure


def _check_level(level: str | None) -> str | None:
    if level in (None, ""):
        return None
    if level not in Level.values:
        allowed = ", ".join(Level.values)
        raise UserError("invalid_level", f"Cấp không hợp lệ: {level!r} (chọn một trong: {allowed}).",
                        f"Invalid level {level!r}: use one of {allowed}.", field="level")
    return level


def parse_date(value: str | dt.date | None, field_name: str = "at") -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise UserError("invalid_date", f"Ngày không hợp lệ: {value!r} (định dạng YYYY-MM-DD).",
                        f"Invalid date {value!r}: expected YYYY-MM-DD.", field=field_name) from None


def _code_candidates(code: str) -> list[str]:
    """Zero-padding tolerant: "1" may be province 01, district 001 or commune 00001."""
    code = code.strip()
    return sorted({code, *(code.zfill(width) for width in CODE_WIDTHS.values() if len(code) <= width)})


def get_unit(code: str, structure: str = Structure.CURRENT) -> Unit:
    """The unit with this official code in this structure; UserError 404 if there is none."""
    structure = _check_structure(structure) or Structure.CURRENT
    text = str(code or "").strip()
    units = []
    if _DIGITS.match(text):
        units = list(Unit.objects.filter(structure=structure, code__in=_code_candidates(text))
                     .select_related("parent", "parent__parent"))
    exact = [u for u in units if u.code == text]
    if exact or len(units) == 1:
        return (exact or units)[0]
    if len(units) > 1:
        codes = ", ".join(u.code for u in units)
        raise UserError("ambiguous_code", f"Mã {text!r} khớp nhiều đơn vị ({codes}); hãy ghi đủ số 0 ở đầu.",
                        f"Code {text!r} matches several units ({codes}); give the zero padding.",
                        field="code", status=404)
    raise UserError("unit_not_found",
                    f"Không có đơn vị hành chính mã {text!r} trong danh mục {STRUCTURE_VI[structure]}.",
                    f"No administrative unit with code {text!r} in the {structure} structure.",
                    field="code", status=404)


def successors(unit: Unit) -> list[Succession]:
    """Crosswalk edges from ``unit`` (legacy) to the units that replaced it (current)."""
    return list(Succession.objects.filter(old=unit).select_related("new").order_by("-is_default", "new__code"))


def predecessors(unit: Unit) -> list[Succession]:
    """Crosswalk edges into ``unit`` (current) from the legacy units it was formed from."""
    return list(Succession.objects.filter(new=unit).select_related("old", "old__parent")
                .order_by("old__level", "old__code"))


def members(unit: Unit) -> list[Unit]:
    """The units directly under ``unit`` (a province's districts or communes, a district's communes)."""
    return list(unit.children.order_by("code"))


def successors_of_members(unit: Unit) -> list[Unit]:
    """The current units that the units under ``unit`` went into (a district abolished on 1 July 2025
    has no successor of its own: its communes have)."""
    return list(Unit.objects.filter(successions_as_new__old__parent=unit).select_related("parent")
                .distinct().order_by("code"))


def province_of(unit: Unit) -> Unit | None:
    """The province containing ``unit`` (itself for a province), walking the loaded parent chain."""
    node = unit
    while node is not None and node.level != Level.PROVINCE:
        node = node.parent
    return node


# --------------------------------------------------------------------------------------------
# Plain-data views shared by the API and the CLI (one shape for both)
# --------------------------------------------------------------------------------------------


def _ref(unit: Unit | None) -> dict | None:
    return None if unit is None else {"code": unit.code, "name": unit.name}


def unit_as_dict(unit: Unit) -> dict:
    return {
        "code": unit.code,
        "name": unit.name,
        "short_name": unit.short_name,
        "name_en": unit.name_en,
        "level": unit.level,
        "unit_type": unit.unit_type,
        "structure": unit.structure,
        "province": _ref(province_of(unit)),
        "parent": _ref(unit.parent),
        "lat": unit.lat,
        "lon": unit.lon,
        "area_km2": unit.area_km2,
        "valid_from": unit.valid_from,
        "valid_to": unit.valid_to,
    }


def _edge_as_dict(edge: Succession, other: Unit) -> dict:
    return {"code": other.code, "name": other.name, "level": other.level, "structure": other.structure,
            "whole": edge.whole, "is_default": edge.is_default}


def unit_detail(unit: Unit) -> dict:
    """A unit with the crosswalk on both sides: ``predecessors`` (legacy units it came from) and
    ``successors`` (current units it went into)."""
    return unit_as_dict(unit) | {
        "predecessors": [_edge_as_dict(e, e.old) for e in predecessors(unit)],
        "successors": [_edge_as_dict(e, e.new) for e in successors(unit)],
    }


# --------------------------------------------------------------------------------------------
# Search
# --------------------------------------------------------------------------------------------


def _word_prefix(field_name: str, token: str) -> Q:
    """``token`` starts a word of the folded name ("thiet" matches "phuong phan thiet")."""
    return Q(**{f"{field_name}__startswith": token}) | Q(**{f"{field_name}__contains": f" {token}"})


def _resolve_province(province: str) -> list[str]:
    """A province filter given as a code ("68", "1") or a name ("lam dong"): the codes it names."""
    text = str(province).strip()
    if _DIGITS.match(text):
        return [text.zfill(CODE_WIDTHS[Level.PROVINCE])]
    key = fold(text)
    codes = sorted({u.province_code for u in Unit.objects.filter(level=Level.PROVINCE)
                    if key in (u.name_ascii, fold(u.short_name))})
    if not codes:
        raise UserError("unknown_province", f"Không có tỉnh/thành phố {text!r}.",
                        f"No province named {text!r}.", field="province")
    return codes


def _match_rank(name: str, short_name: str, key: str, tokens: list[str]) -> int:
    """0 exact name, 1 the query starts a word of the name, 2 every word matches the name, 3 via a parent."""
    if key in (name, fold(short_name)):
        return 0
    if name.startswith(key) or f" {key}" in name:
        return 1
    words = name.split()
    if all(any(w.startswith(t) for w in words) for t in tokens):
        return 2
    return 3


def search(q: str, *, level: str | None = None, province: str | None = None, at=None,
           structure: str | None = None, limit: int = 50) -> list[Unit]:
    """Units whose code is ``q`` (zero padding tolerant) or whose name matches it, diacritics optional.

    Every word of the query must start a word of the unit's name or of its parents' names, so
    "phan thiet" finds Phường Phan Thiết, the legacy Thành phố Phan Thiết and the wards inside it.
    Ranking: how well the name itself matches (exact, phrase, words, through a parent), then
    current before legacy, then province, district, commune, then name.
    ``at`` (a date) keeps the units that existed that day, i.e. picks the structure valid then.
    """
    text = nfc(str(q or ""))
    if not text:
        raise UserError("empty_query", "Hãy nhập tên hoặc mã đơn vị cần tìm.",
                        "Give a unit name or code to search for.", field="q")
    level = _check_level(level)
    structure = _check_structure(structure)
    day = parse_date(at)
    try:
        limit = int(limit)
    except (TypeError, ValueError):
        limit = -1
    if not 1 <= limit <= MAX_LIMIT:
        raise UserError("invalid_limit", f"Giới hạn phải từ 1 đến {MAX_LIMIT}.",
                        f"limit must be between 1 and {MAX_LIMIT}.", field="limit")

    qs = Unit.objects.select_related("parent", "parent__parent")
    if level:
        qs = qs.filter(level=level)
    if structure:
        qs = qs.filter(structure=structure)
    if province not in (None, ""):
        qs = qs.filter(province_code__in=_resolve_province(province))
    if day:
        qs = qs.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=day),
                       Q(valid_to__isnull=True) | Q(valid_to__gte=day))

    if _DIGITS.match(text):
        units = list(qs.filter(code__in=_code_candidates(text)))
        units.sort(key=lambda u: (u.code != text, STRUCTURE_ORDER[u.structure], LEVEL_ORDER[u.level], u.code))
        return units[:limit]

    key = fold(text)
    tokens = key.split()
    for token in tokens:
        qs = qs.filter(_word_prefix("name_ascii", token) | _word_prefix("parent__name_ascii", token)
                       | _word_prefix("parent__parent__name_ascii", token))
    # Rank on a few columns of every match, then load the full rows of the best ``limit`` only:
    # a one-word query such as "xa" matches thousands of units.
    matches = qs.values_list("pk", "name_ascii", "short_name", "structure", "level", "code")
    ranked = sorted(matches, key=lambda m: (_match_rank(m[1], m[2], key, tokens), STRUCTURE_ORDER[m[3]],
                                            LEVEL_ORDER[m[4]], m[1], m[5]))
    best = [m[0] for m in ranked[:limit]]
    by_pk = Unit.objects.select_related("parent", "parent__parent").in_bulk(best)
    return [by_pk[pk] for pk in best]


def structure_on(day: dt.date) -> str:
    """Which structure was in force on ``day``."""
    return Structure.CURRENT if day >= REORGANISATION_DATE else Structure.LEGACY
