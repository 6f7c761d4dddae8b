"""The public catalogue as CKAN sees it: package, resource and organisation dicts in CKAN's shapes,
``package_search`` (q, fq, sort, rows, start, facets) over published datasets only."""

from __future__ import annotations

import datetime as dt
import re

from django.db.models import Q
from django.utils import timezone

from tinhso.core.errors import UserError
from tinhso.core.i18n import both
from tinhso.core.text import fold
from tinhso.opendata.models import Dataset, DatasetState, Distribution, Organization, Theme

ROWS_MAX = 1000
LICENCES = {"CC-BY-4.0": ("Creative Commons Attribution 4.0", "https://creativecommons.org/licenses/by/4.0/")}
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
              ("issued", _iso(ds.issued) or ""), ("origin", ds.origin), ("synthetic", "true" if ds.synthetic else "false")]
    resources = [resource_dict(ds, d, base, i) for i, d in enumerate(ds.distributions.all())]
    return {
        "id": str(ds.id), "name": ds.name, "title": ds.title_vi, "notes": ds.description_vi, "type": "dataset",
        "state": "active", "private": False, "license_id": ds.licence, "license_title": licence_title,
        "license_url": licence_url, "url": base + f"/du-lieu-mo/{ds.name}", "version": None,
        "author": ds.publisher.title_vi, "author_email": None, "maintainer": ds.contact_name,
        "maintainer_email": ds.contact_email, "owner_org": str(ds.publisher.id),
        "organization": organization_dict(ds.publisher), "metadata_created": _iso(ds.metadata_created),
        "metadata_modified": _iso(ds.metadata_modified),
        "tags": [{"name": k, "display_name": k, "state": "active", "vocabulary_id": None} for k in ds.keywords],
        "groups": [group_dict(ds.theme)], "extras": [{"key": k, "value": v} for k, v in extras if v],
        "resources": resources, "num_resources": len(resources), "num_tags": len(ds.keywords),
        "isopen": ds.licence == "CC-BY-4.0", "relationships_as_object": [], "relationships_as_subject": [],
    }


# --- search -----------------------------------------------------------------------------------------

_RANGE = re.compile(r"^metadata_modified:\[(\S+) TO (\S+)\]$")
_TERM = re.compile(r'^(-?)(organization|owner_org|groups|tags|res_format|license_id|name|id|dataset_type|capacity)'
                   r':"?([^"]+)"?$')


def _when(text: str, field: str) -> dt.datetime | None:
    if text == "*":
        return None
    if text.upper().startswith("NOW"):
        return timezone.now()
    try:
        moment = dt.datetime.fromisoformat(text.rstrip("Z"))
    except ValueError:
        raise _validation(field, f"Bad date {text!r} in metadata_modified range") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _validation(field: str, message: str) -> UserError:
    return UserError("validation", message, message, field=field, status=409, details={field: [message]})


def _split_fq(fq: str) -> list[str]:
    """``a:b c:[x TO y] -d:"e f"`` → its terms (spaces inside brackets or quotes do not split)."""
    terms, buf, depth, quoted = [], "", 0, False
    for ch in fq.strip():
        if ch == '"':
            quoted = not quoted
        elif ch == "[" and not quoted:
            depth += 1
        elif ch == "]" and not quoted:
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
    m = _RANGE.match(term.lstrip("-"))
    if m:
        low, high = _when(m.group(1), "fq"), _when(m.group(2), "fq")
        cond = Q()
        if low:
            cond &= Q(metadata_modified__gte=low)
        if high:
            cond &= Q(metadata_modified__lte=high)
        return cond, term.startswith("-")
    m = _TERM.match(term)
    if not m:
        raise _validation("fq", f"Unsupported filter {term!r}: use metadata_modified:[X TO *], organization:, "
                                "groups:, tags:, res_format:, license_id:, name:, id:, dataset_type:, capacity:")
    negate, field, value = m.groups()
    nothing = Q(pk__in=[])
    cond = {"organization": Q(publisher__name=value),
            "owner_org": Q(publisher__id=value) if _is_uuid(value) else nothing,
            "groups": Q(theme=value.upper()), "tags": Q(search_text__contains=fold(value)),
            "res_format": Q(distributions__format__iexact=value), "license_id": Q(licence=value),
            "name": Q(name=value), "id": Q(id=value) if _is_uuid(value) else nothing,
            # every dataset here is a public dataset of type "dataset"
            "dataset_type": Q() if value == "dataset" else nothing,
            "capacity": Q() if value == "public" else nothing}[field]
    return cond, bool(negate)


def apply_fq(qs, fq: str):
    """Apply ``fq``: terms are ANDed; ``a OR b`` (what the harvester writes for several organisations)
    is one alternative; ``-term`` excludes."""
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
    for group in groups:
        if len(group) == 1:
            cond, negate = _term_q(group[0])
            qs = qs.exclude(cond) if negate else qs.filter(cond)
            continue
        either = Q(pk__in=[])
        for term in group:
            cond, negate = _term_q(term)
            either |= ~cond if negate else cond
        qs = qs.filter(either)
    return qs.distinct()


def _is_uuid(text: str) -> bool:
    import uuid

    try:
        uuid.UUID(text)
        return True
    except ValueError:
        return False


def apply_q(qs, q: str):
    q = (q or "").strip()
    if not q or q == "*:*":
        return qs
    for word in fold(q).split():
        qs = qs.filter(search_text__contains=word)
    return qs


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


def int_param(value, field: str, default: int, maximum: int | None = None) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _validation(field, "Invalid integer") from None
    if number < 0:
        raise _validation(field, "Must be a natural number")
    if maximum is not None and number > maximum:
        raise _validation(field, f"Must be less than or equal to {maximum}")
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
