"""The public catalogue as CKAN sees it: package, resource and organisation dicts in CKAN's shapes,
``package_search`` (q, fq, sort, rows, start, facets) over published datasets only."""

from __future__ import annotations

import datetime as dt
import re

from django.db.models import Q
from django.utils import timezone

from tinhso.core.errors import UserError
from tinhso.core.i18n import both
from tinhso.core.search import search_key, search_words
from tinhso.opendata.models import Dataset, DatasetState, Distribution, Organization, Theme

ROWS_MAX = 1000
DEFAULT_LICENCE = "CC-BY-4.0"
LICENCES = {"CC-BY-4.0": ("Creative Commons Attribution 4.0", "https://creativecommons.org/licenses/by/4.0/"),
            "CC-BY-SA-4.0": ("Creative Commons Attribution Share-Alike 4.0",
                             "https://creativecommons.org/licenses/by-sa/4.0/"),
            "CC0-1.0": ("Creative Commons CCZero 1.0", "https://creativecommons.org/publicdomain/zero/1.0/")}
SORTS = {"id": "id", "name": "name", "title_string": "title_vi", "metadata_modified": "metadata_modified",
         "metadata_created": "metadata_created"}


def _iso(moment: dt.datetime | None) -> str | None:
    """CKAN's timestamps: UTC without a zone suffix, microseconds kept."""
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat()


def published() -> Q:
    return Q(state=DatasetState.PUBLISHED)


def public_datasets():
    return Dataset.objects.filter(published()).select_related("publisher").prefetch_related("distributions")


def get_public(ref: str) -> Dataset:
    qs = public_datasets()
    ds = qs.filter(name=ref).first()
    if ds is None:
        try:
            ds = qs.filter(id=ref).first()
        except Exception:  # not a UUID
            ds = None
    if ds is None:
        raise UserError("not_found", "Không tìm thấy bộ dữ liệu.", "Dataset not found.", field="id", status=404)
    return ds


def theme_label(code: str, english: bool = False) -> str:
    vi, en = both(Theme(code).label)
    return en if english else vi


def group_dict(code: str) -> dict:
    title = theme_label(code)  # Vietnamese: the catalogue's language
    return {"id": code.lower(), "name": code.lower(), "title": title, "display_name": title,
            "description": "", "image_display_url": ""}


def organization_dict(org: Organization, package_count: int | None = None) -> dict:
    out = {"id": str(org.id), "name": org.name, "title": org.title_vi, "display_name": org.title_vi,
           "description": org.description or org.title_en, "type": "organization", "state": "active",
           "is_organization": True, "approval_status": "approved", "image_url": "",
           "created": _iso(org.created)}
    if package_count is not None:
        out["package_count"] = package_count
    return out


def download_path(ds: Dataset, dist: Distribution) -> str:
    return f"/du-lieu-mo/{ds.name}/tai-ve/{dist.file_name}"


def resource_dict(ds: Dataset, dist: Distribution, base: str, position: int) -> dict:
    return {"id": str(dist.id), "package_id": str(ds.id), "url": base + download_path(ds, dist),
            "name": dist.file_name, "description": str(dist.get_format_display()), "format": dist.format,
            "mimetype": dist.media_type, "size": dist.size, "hash": f"sha256:{dist.sha256}",
            "created": _iso(dist.created), "last_modified": _iso(dist.modified), "metadata_modified": _iso(dist.modified),
            "position": position, "state": "active", "url_type": None, "datastore_active": False}


def package_dict(ds: Dataset, base: str) -> dict:
    licence_title, licence_url = LICENCES.get(ds.licence, (ds.licence, ""))
    extras = [("title_en", ds.title_en), ("description_en", ds.description_en), ("theme", ds.theme),
              ("frequency", ds.frequency), ("spatial", ds.spatial), ("spatial_code", ds.spatial_code),
              ("temporal_start", ds.temporal_start.isoformat() if ds.temporal_start else ""),
              ("temporal_end", ds.temporal_end.isoformat() if ds.temporal_end else ""),
              ("issued", _iso(ds.issued) or ""), ("version_notes", ds.version_notes), ("origin", ds.origin), ("synthetic", "true" if ds.synthetic else "false")]
    resources = [resource_dict(ds, d, base, i) for i, d in enumerate(ds.distributions.all())]
    return {
        "id": str(ds.id), "name": ds.name, "title": ds.title_vi, "notes": ds.description_vi, "type": "dataset",
        "state": "active", "private": False, "license_id": ds.licence, "license_title": licence_title,
        "license_url": licence_url, "url": base + f"/du-lieu-mo/{ds.name}", "version": str(ds.version),
        "author": ds.publisher.title_vi, "author_email": None, "maintainer": ds.contact_name,
        "maintainer_email": ds.contact_email, "owner_org": str(ds.publisher.id),
        "organization": organization_dict(ds.publisher), "metadata_created": _iso(ds.metadata_created),
        "metadata_modified": _iso(ds.metadata_modified),
        "tags": [{"name": k, "display_name": k, "state": "active", "vocabulary_id": None} for k in ds.keywords],
        "groups": [group_dict(ds.theme)], "extras": [{"key": k, "value": v} for k, v in extras if v],
        "resources": resources, "num_resources": len(resources), "num_tags": len(ds.keywords),
        "isopen": ds.licence in LICENCES, "relationships_as_object": [], "relationships_as_subject": [],
    }


# --- search -----------------------------------------------------------------------------------------

_RANGE = re.compile(r"^(metadata_modified|metadata_created):([\[{])(\S+) TO (\S+)([\]}])$")
_TERM = re.compile(r'^(-?)(organization|owner_org|groups|tags|res_format|license_id|name|id|dataset_type|capacity)'
                   r':"?([^"]+)"?$')
# Solr date math: NOW or an ISO instant ending in Z, then +N UNIT, -N UNIT and /UNIT (rounding down), in UTC.
_DATE_MATH = re.compile(r"^(NOW|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z)((?:[+-]\d{1,6}[A-Z]+|/[A-Z]+)*)$")
_MATH_OP = re.compile(r"([+-]\d+|/)([A-Z]+)")
_UNITS = {"YEAR": "years", "YEARS": "years", "MONTH": "months", "MONTHS": "months", "DAY": "days", "DAYS": "days",
          "DATE": "days", "HOUR": "hours", "HOURS": "hours", "MINUTE": "minutes", "MINUTES": "minutes",
          "SECOND": "seconds", "SECONDS": "seconds", "MILLI": "ms", "MILLIS": "ms", "MILLISECOND": "ms",
          "MILLISECONDS": "ms"}
_ROUND = {"years": dict(month=1, day=1, hour=0, minute=0, second=0, microsecond=0),
          "months": dict(day=1, hour=0, minute=0, second=0, microsecond=0),
          "days": dict(hour=0, minute=0, second=0, microsecond=0), "hours": dict(minute=0, second=0, microsecond=0),
          "minutes": dict(second=0, microsecond=0), "seconds": dict(microsecond=0), "ms": {}}


def _add_months(moment: dt.datetime, months: int) -> dt.datetime:
    import calendar

    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise OverflowError
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def date_math(text: str, now: dt.datetime | None = None) -> dt.datetime:
    """A Solr date (``NOW``, ``2025-01-15T00:00:00Z``) with its date math (``NOW-1DAY``, ``NOW/DAY``,
    ``NOW/DAY-7DAYS``, ``2025-01-01T00:00:00Z+1MONTH``) as an aware UTC datetime; ValueError if not."""
    m = _DATE_MATH.match(text.upper())
    if not m:
        raise ValueError(text)
    base, ops = m.groups()
    if base == "NOW":
        moment = (now or timezone.now()).astimezone(dt.UTC)
    else:
        moment = dt.datetime.fromisoformat(base[:-1][:26]).replace(tzinfo=dt.UTC)
    try:
        for op, unit in _MATH_OP.findall(ops):
            kind = _UNITS.get(unit)
            if kind is None:
                raise ValueError(f"unknown unit {unit}")
            if op == "/":
                moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000) if kind == "ms" else \
                    moment.replace(**_ROUND[kind])
            elif kind == "years":
                moment = _add_months(moment, 12 * int(op))
            elif kind == "months":
                moment = _add_months(moment, int(op))
            elif kind == "ms":
                moment += dt.timedelta(milliseconds=int(op))
            else:
                moment += dt.timedelta(**{kind: int(op)})
    except OverflowError:
        raise ValueError(f"{text} is out of range") from None
    return moment


def _when(text: str, field: str) -> dt.datetime | None:
    if text == "*":
        return None
    try:
        return date_math(text)
    except ValueError:
        pass
    try:
        moment = dt.datetime.fromisoformat(text.rstrip("Z"))
    except ValueError:
        raise _validation(field, f"Bad date {text!r} in a metadata_modified/metadata_created range: use an ISO "
                                 "date-time (2025-01-15T00:00:00Z), * or Solr date math (NOW-1DAY, NOW/DAY)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _validation(field: str, message: str, message_vi: str = "") -> UserError:
    """CKAN's Validation Error (409) for ``field``: ``message`` in English (CKAN's own words, what clients
    read in ``error[field]``), ``message_vi`` when there is a Vietnamese one."""
    return UserError("validation", message_vi or message, message, field=field, status=409,
                     details={field: [message]})


def _split_fq(fq: str) -> list[str]:
    """``a:b c:[x TO y] -d:"e f" (g:h OR i:j)`` → its terms (spaces inside brackets, parentheses or
    quotes do not split)."""
    terms, buf, depth, quoted = [], "", 0, False
    for ch in fq.strip():
        if ch == '"':
            quoted = not quoted
        elif ch in "[{(" and not quoted:
            depth += 1
        elif ch in "]})" and not quoted:
            depth -= 1
        if ch == " " and not depth and not quoted and buf:
            if buf.upper() != "AND":
                terms.append(buf)
            buf = ""
            continue
        buf += ch
    if buf and buf.upper() != "AND":
        terms.append(buf)
    return [t.lstrip("+") for t in terms]


def _term_q(term: str) -> tuple[Q, bool]:
    """One ``fq`` term as a condition and whether it is negated (``-field:value``)."""
    negated = term.startswith("-")
    bare = term[1:] if negated else term
    if bare.startswith("(") and bare.endswith(")") and len(bare) > 2:
        return _expr_q(bare[1:-1], "fq"), negated
    m = _RANGE.match(bare)
    if m:
        field, opening, low_text, high_text, closing = m.groups()
        low, high = _when(low_text, "fq"), _when(high_text, "fq")
        cond = Q()
        if low:
            cond &= Q(**{f"{field}__{'gte' if opening == '[' else 'gt'}": low})
        if high:
            cond &= Q(**{f"{field}__{'lte' if closing == ']' else 'lt'}": high})
        return cond, negated
    m = _TERM.match(term)
    if not m:
        raise _validation("fq", f"Unsupported filter {term!r}: use metadata_modified:[X TO *], "
                                "metadata_created:[X TO Y], organization:, groups:, tags:, res_format:, license_id:, "
                                "name:, id:, dataset_type:, capacity:, (…) and OR")
    negate, field, value = m.groups()
    nothing = Q(pk__in=[])
    cond = {"organization": Q(publisher__name=value),
            "owner_org": Q(publisher__id=value) if _is_uuid(value) else nothing,
            "groups": Q(theme=value.upper()), "tags": _phrase(value),
            "res_format": Q(distributions__format__iexact=value), "license_id": Q(licence=value),
            "name": Q(name=value), "id": Q(id=value) if _is_uuid(value) else nothing,
            # every dataset here is a public dataset of type "dataset"
            "dataset_type": Q() if value == "dataset" else nothing,
            "capacity": Q() if value == "public" else nothing}[field]
    return cond, bool(negate)


def _expr_q(fq: str, field: str) -> Q:
    """``fq`` as one condition: terms are ANDed; ``a OR b`` (what the harvester writes for several
    organisations) is one alternative; ``-term`` excludes; ``(…)`` groups."""
    groups: list[list[str]] = []
    join_next = False
    for term in _split_fq(fq):
        if term.upper() == "OR":
            join_next = bool(groups)
            continue
        if join_next:
            groups[-1].append(term)
        else:
            groups.append([term])
        join_next = False
    out = Q()
    for group in groups:
        either = None  # (an empty Q means "everything"; Q(pk__in=[]) | Q() would be "nothing")
        for term in group:
            cond, negate = _term_q(term)
            cond = ~cond if negate and cond else Q(pk__in=[]) if negate else cond
            if not cond:
                either = Q()
                break
            either = cond if either is None else either | cond
        out &= either
    return out


def apply_fq(qs, fq: str):
    """Apply ``fq`` (see :func:`_expr_q`)."""
    if not (fq or "").strip():
        return qs
    return qs.filter(_expr_q(fq, "fq")).distinct()


def _is_uuid(text: str) -> bool:
    import uuid

    try:
        uuid.UUID(text)
        return True
    except ValueError:
        return False


# Fields a ``q`` may name (``title:thử``, ``name:chi-so-766``, ``tags:"y tế"``); other text is free text.
Q_FIELDS = {"name", "title", "notes", "tags", "organization", "groups", "res_format", "license_id", "id", "text"}
_Q_TOKEN = re.compile(r'(-?)(?:([a-z_]+):)?("[^"]*"|\S+)')


def _word(word: str) -> Q:
    """Datasets with a word starting with ``word`` (folded) in their search text: "phan anh" finds
    "phản ánh", not "một phần" and "hành chính" (the stored text is `` word word ``)."""
    return Q(search_text__contains=f" {word}")


def _phrase(text: str) -> Q:
    """Datasets whose search text holds ``text``'s words, whole and in order (a tag)."""
    words = search_words(text)
    return Q(search_text__contains=f" {' '.join(words)} ") if words else Q(pk__in=[])


def apply_q(qs, q: str):
    """Free words must all start words of the dataset's folded search text (with or without diacritics); a
    ``field:value`` term restricts that field: name, id, organization, groups, res_format and license_id
    exactly, title, notes and tags by their words (folded), text like free words."""
    q = (q or "").strip()
    if not q or q == "*:*":
        return qs
    for negate, field, value in _Q_TOKEN.findall(q):
        value = value.strip('"')
        if field and field not in Q_FIELDS:
            value, field = f"{field}:{value}", ""
        if not value or value == "*":
            continue
        if field in ("", "text"):
            cond = Q()
            for word in search_words(value):
                cond &= _word(word)
        elif field in ("title", "notes", "tags"):
            cond = Q(pk__in=_matching(qs, field, search_words(value)))
        else:
            cond, _ = _term_q(f"{field}:{value}")
        qs = qs.exclude(cond) if negate else qs.filter(cond)
    return qs.distinct()


def _matching(qs, field: str, words: list[str]) -> list:
    """Ids of the datasets in ``qs`` whose ``field`` holds every folded word (candidates narrowed first
    by the search text, then the field itself read)."""
    columns = {"title": ("title_vi", "title_en"), "notes": ("description_vi", "description_en"),
               "tags": ("keywords",)}[field]
    candidates = Dataset.objects.filter(pk__in=qs.values("pk"))
    for word in words:
        candidates = candidates.filter(_word(word))
    ids = []
    for row in candidates.values("pk", *columns):
        text = search_key(" ".join(" ".join(v) if isinstance(v, list) else (v or "")
                                   for k, v in row.items() if k != "pk"))
        if all(f" {w}" in text for w in words):
            ids.append(row["pk"])
    return ids


def order_by(sort: str) -> list[str]:
    sort = (sort or "score desc, metadata_modified desc").strip()
    order = []
    for part in sort.split(","):
        bits = part.split()
        if not bits:
            continue
        field, direction = bits[0], (bits[1].lower() if len(bits) > 1 else "asc")
        if direction not in ("asc", "desc"):
            raise _validation("sort", f"Bad sort direction {direction!r}")
        if field == "score":
            continue
        if field not in SORTS:
            raise _validation("sort", f"Cannot sort on {field!r}: use {', '.join(SORTS)}")
        order.append(("-" if direction == "desc" else "") + SORTS[field])
    return [*order, "id"] if "id" not in order and "-id" not in order else order


# An offset or a list length past any catalogue: a larger number gives the same answer (an empty page,
# or every name), and one past 64 bits cannot reach the database (SQLite "datatype mismatch").
BEYOND_ANY = 2**31 - 1


def int_param(value, field: str, default: int | None, maximum: int | None = BEYOND_ANY) -> int | None:
    """A natural number; above ``maximum`` it is capped silently, as CKAN's ``limit_to_configured_maximum``
    does for ``rows`` (``ckan.search.rows_max``, 1000); offsets and CKAN's unbounded limits are capped at
    :data:`BEYOND_ANY`, which answers the same."""
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _validation(field, "Invalid integer", f"{field}: không phải số nguyên") from None
    if number < 0:
        raise _validation(field, "Must be a natural number", f"{field}: phải là số tự nhiên")
    if maximum is not None and number > maximum:
        return maximum
    return number


FACETS = {"organization": lambda ds: [ds.publisher.name], "groups": lambda ds: [ds.theme.lower()],
          "res_format": lambda ds: sorted({d.format for d in ds.distributions.all()}),
          "license_id": lambda ds: [ds.licence], "tags": lambda ds: ds.keywords}


def search(params: dict, base: str) -> dict:
    qs = apply_fq(apply_q(public_datasets(), params.get("q", "")), params.get("fq", "") or "")
    for extra in params.get("fq_list") or []:
        qs = apply_fq(qs, extra)
    rows = int_param(params.get("rows"), "rows", 10, ROWS_MAX)
    start = int_param(params.get("start"), "start", 0)
    qs = qs.order_by(*order_by(params.get("sort", "")))
    result = {"count": qs.count(), "sort": params.get("sort") or "score desc, metadata_modified desc",
              "results": [package_dict(ds, base) for ds in qs[start:start + rows]], "search_facets": {},
              "facets": {}}
    fields = params.get("facet.field") or []
    if isinstance(fields, str):
        import json

        try:
            fields = json.loads(fields)
        except ValueError:
            raise _validation("facet.field", "facet.field must be a JSON list") from None
    if fields:
        from collections import Counter

        counts = {f: Counter() for f in fields if f in FACETS}
        for ds in qs:
            for f, counter in counts.items():
                counter.update(FACETS[f](ds))
        for f, counter in counts.items():
            result["facets"][f] = dict(counter)
            result["search_facets"][f] = {"title": f, "items": [
                {"name": n, "display_name": n, "count": c} for n, c in counter.most_common()]}
    return result
