"""A composite index's methodology, read from a YAML file: the tree of nodes, their points or weights,
the scoring rule of each input and the aggregation of each parent.

Methods are data (``tinhso/indices/methods/<code>.yaml``); a province can add its own file, or extend a
shipped one (``extends: dti-922``) with the components it has data for. Every node says where it comes
from (``status``: official, verified, inferred, third_party) so that a result built on an inferred rule
says so.

Value conventions (``unit`` of a node):
- ``share``: a value in [0, 1]; the node's points are value × ``max`` (DTI: main-index value = points / max).
- ``points``: the value is points in [0, ``max``] (Decision 766).
- ``score``: a value on the node's own scale (PCI sub-indices 1–10), combined with ``weight``.

Aggregations of a parent from its children:
- ``points``: points = Σ child points; value = points / max (share) or points (points).
- ``weighted_sum``: scale × Σ weight·value; ``weighted_mean``: scale × Σ weight·value / Σ weight;
  ``geometric_mean``: scale × Π value^(weight / Σ weight).
Children with no points or weight (DTI's smart city, 766's monitored items) are reported, never required.

Scoring rules of an input (a leaf, or any node the user gives a raw value for):
- ``value``: the input is the node's value (checked against its range).
- ``ratio``: attainment = x / full; ``threshold``: attainment = min(1, x / target) (766: "reaching T %
  earns the maximum"); ``tiers``: the share of the first tier whose ``at_least`` the input reaches;
  ``distance_to_target``: attainment = clip((x − base) / (target − base), 0, 1).
  An attainment a gives value a (share), a × max (points) or a × scale (score).
- ``minmax``: rescaled across the units of the period to [low, high] (PCI style, 1–10).
A node's ``direction: -1`` says a lower input is better (processing time, informal charges): ``ratio``
scores (full − x) / full, ``threshold`` min(1, target / x) (at or under the target earns the maximum),
``minmax`` is reversed, and a node kept as its raw value (``value`` rule) is ranked lowest-first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import yaml

from tinhso.core import limits
from tinhso.core.errors import UserError
from tinhso.core.text import fold, nfc

METHODS_DIR = Path(__file__).resolve().parent / "methods"
UNITS = ("share", "points", "score")
AGGREGATIONS = ("points", "weighted_sum", "weighted_mean", "geometric_mean")
RULES = ("value", "ratio", "threshold", "tiers", "distance_to_target", "minmax")
ROLES = ("index", "view", "monitor")
STATUSES = ("official", "verified", "inferred", "third_party", "user")


def _invalid(source: str, what_vi: str, what_en: str) -> UserError:
    return UserError("method_invalid", f"Phương pháp {source} không hợp lệ: {what_vi}",
                     f"Method {source} is invalid: {what_en}", field="method")


@dataclass(frozen=True)
class Rule:
    kind: str = "value"
    full: float = 1.0                 # ratio: the input that earns full attainment (1, or 100 for percent)
    target: float | None = None       # threshold, distance_to_target
    base: float = 0.0                 # distance_to_target
    tiers: tuple[tuple[float, float], ...] = ()   # (at_least, share), highest first
    otherwise: float = 0.0            # tiers: share when no tier is reached
    low: float = 1.0                  # minmax
    high: float = 10.0
    direction: int = 1                # -1 when a lower input is better


@dataclass(frozen=True)
class Node:
    code: str
    name_vi: str
    name_en: str
    unit: str
    role: str = "index"
    max: float | None = None
    weight: float | None = None
    scale: float = 1.0
    aggregate: str | None = None
    children: tuple[str, ...] = ()
    rule: Rule = field(default_factory=Rule)
    range: tuple[float, float] = (-math.inf, math.inf)        # of the node's value
    input_range: tuple[float, float] = (-math.inf, math.inf)  # of a raw input scored by the rule
    decimals: int | None = None
    group: str = ""
    status: str = "official"
    note_vi: str = ""
    note_en: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def is_leaf(self) -> bool:
        return not self.children

    @property
    def ranks_lowest_first(self) -> bool:
        """A raw value where lower is better (e.g. processing time) ranks ascending; scored values never do."""
        return self.rule.direction == -1 and self.rule.kind == "value"

    @property
    def counts(self) -> bool:
        """Whether the node contributes to its parents (monitored and zero-point nodes do not)."""
        if self.role == "monitor":
            return False
        if self.unit in ("share", "points"):
            return bool(self.max)
        return self.weight is None or self.weight > 0

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "name": self.name_vi, "name_en": self.name_en,
                               "unit": self.unit, "role": self.role, "status": self.status}
        for key in ("max", "weight", "aggregate", "group"):
            if getattr(self, key) not in (None, ""):
                out[key] = getattr(self, key)
        if self.scale != 1.0:
            out["scale"] = self.scale
        if self.children:
            out["children"] = list(self.children)
        if self.is_leaf or self.rule.kind != "value":
            out["rule"] = _rule_dict(self.rule)
        lo, hi = self.range
        out["range"] = [None if math.isinf(lo) else lo, None if math.isinf(hi) else hi]
        if self.note_vi:
            out["note"], out["note_en"] = self.note_vi, self.note_en
        return out


def _rule_dict(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": rule.kind}
    if rule.kind == "ratio":
        out["full"] = rule.full
    if rule.kind in ("threshold", "distance_to_target"):
        out["target"] = rule.target
    if rule.kind == "distance_to_target":
        out["base"] = rule.base
    if rule.kind == "tiers":
        out["tiers"] = [{"at_least": a, "share": s} for a, s in rule.tiers]
        out["otherwise"] = rule.otherwise
    if rule.kind == "minmax":
        out.update(low=rule.low, high=rule.high)
    if rule.direction != 1:
        out["direction"] = rule.direction
    return out


@dataclass(frozen=True)
class Method:
    code: str
    title_vi: str
    title_en: str
    legal_basis: str
    used_for: str                     # Vietnamese
    score: str
    decimals: int
    nodes: dict[str, Node]
    order: tuple[str, ...]            # every node after all its children
    whatif_step: float = 10.0
    whatif_step_unit: str = "points"
    merge_level: str = "main"
    sources: tuple[str, ...] = ()
    notes_vi: str = ""
    notes_en: str = ""
    source_file: str = ""
    lookup: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    used_for_en: str = ""             # English (the Vietnamese text when the file gives one only)

    @cached_property
    def columns(self) -> dict[str, int]:
        """Each node's column in the units × nodes matrices, which follow ``order``."""
        return {code: i for i, code in enumerate(self.order)}

    @property
    def score_node(self) -> Node:
        return self.nodes[self.score]

    def node_decimals(self, code: str) -> int:
        node = self.nodes[code]
        return self.decimals if node.decimals is None else node.decimals

    def main_nodes(self) -> list[Node]:
        """The score's direct children that carry points or weight: the 'main indices' a province is ranked on."""
        return [self.nodes[c] for c in self.score_node.children if self.nodes[c].counts]

    def score_tree(self) -> list[str]:
        """Codes of the score node and every node below it, parents first."""
        seen: list[str] = []

        def walk(code: str) -> None:
            if code in seen:
                return
            seen.append(code)
            for child in self.nodes[code].children:
                walk(child)

        walk(self.score)
        return seen

    def resolve(self, text: str) -> str | None:
        """The node code for an indicator as a user wrote it: its code, an alias or its name, any case and
        with or without Vietnamese diacritics."""
        return self.lookup.get(_key(text))

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "title": self.title_vi, "title_en": self.title_en,
                "legal_basis": self.legal_basis, "used_for": self.used_for, "score": self.score,
                "decimals": self.decimals, "sources": list(self.sources),
                "notes": self.notes_vi, "notes_en": self.notes_en,
                "whatif_step": self.whatif_step, "whatif_step_unit": self.whatif_step_unit,
                "nodes": [self.nodes[c].as_dict() for c in self.score_tree()]
                + [n.as_dict() for c, n in self.nodes.items() if c not in set(self.score_tree())]}


def _key(text: str) -> str:
    return " ".join(fold(nfc(str(text))).split())


def _lookup(nodes: dict[str, Node]) -> dict[str, str]:
    """Folded code/name/alias → code; a code always wins over another node's name or alias."""
    table = {_key(code): code for code in nodes}
    for node in nodes.values():
        for text in (node.name_vi, node.name_en, *node.aliases):
            table.setdefault(_key(text), node.code)
    return table


# --- reading a method file ------------------------------------------------------------------------

def available_methods() -> list[str]:
    return sorted(p.stem for p in METHODS_DIR.glob("*.yaml"))


def load_method(ref: str | Path, *, allow_files: bool = True) -> Method:
    """A shipped method by code (``dti-922``) or, when ``allow_files``, a YAML file by path; raises UserError
    when unknown/invalid. Web callers pass ``allow_files=False``: a name from a URL must never open a file."""
    ref_text = str(ref)
    path = Path(ref_text)
    if allow_files and (ref_text.endswith((".yaml", ".yml")) or path.is_file()):
        if not path.is_file():
            raise UserError("method_not_found", f"Không có tệp phương pháp {ref_text}",
                            f"No method file {ref_text}", field="method", status=404)
        return _load_file(path.resolve())
    shipped = METHODS_DIR / f"{ref_text}.yaml"
    if ref_text not in available_methods():
        raise UserError("method_not_found",
                        f"Không có phương pháp {ref_text!r}; hiện có: {', '.join(available_methods())}",
                        f"Unknown method {ref_text!r}; available: {', '.join(available_methods())}",
                        field="method", status=404)
    return _load_file(shipped)


@cache
def _load_file(path: Path) -> Method:
    return _build(_read_yaml(path), str(path))


def load_method_text(text: str, name: str = "uploaded") -> Method:
    """A method given as YAML text (an uploaded file)."""
    return _build(_safe_yaml(text, name), name)


def from_spec(spec: dict, name: str = "spec") -> Method:
    """A method from an already-parsed mapping (same schema as the YAML files, ``extends`` allowed)."""
    return _build(spec, name)


def _read_yaml(path: Path) -> dict:
    limits.check_file_size(path.stat().st_size, "method_file_bytes", field="method")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise _invalid(path.name, "tệp không phải UTF-8", f"the file is not UTF-8 text ({exc.reason})") from None
    return _safe_yaml(text, path.name, shipped=path.resolve().parent == METHODS_DIR.resolve())


def _safe_yaml(text: str, name: str, shipped: bool = False):
    """YAML within limits: at most ``method_file_bytes``, no aliases (``*ref``: a few lines of them expand
    into billions of nodes), no nesting deep enough to exhaust the parser's recursion.

    ``shipped``: a method file of tinhso itself (``METHODS_DIR``), not user input, is parsed with libyaml's
    parser when PyYAML has it — the same mapping (tested), ≈ 6× faster (svc-766: 60 → 11 ms, paid once per
    process, e.g. by every indicators computation of the CLI or a fresh worker). Anything else keeps the
    pure-Python parser, whose error messages the refusals quote."""
    loader = yaml.CSafeLoader if shipped and getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader
    if len(text.encode("utf-8", "surrogatepass")) > limits.limit("method_file_bytes"):
        raise limits.too_large("file_too_large", f"Tệp phương pháp {name} quá lớn", f"The method file {name} is too "
                               "large", "method_file_bytes", field="method")
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.AliasEvent):
                raise _invalid(name, "không dùng bí danh YAML (*tên)", "YAML aliases (*name) are not allowed")
        raw = yaml.load(text, Loader=loader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        raise _invalid(name, f"YAML sai cú pháp: {exc}", f"YAML syntax error: {exc}") from exc
    except RecursionError:
        raise _invalid(name, "lồng nhau quá sâu", "nested too deep") from None
    limits.check_json_value(raw, name, field="method", code="method_invalid")
    return raw


def _merged_spec(raw: dict, source: str) -> dict:
    """A spec with ``extends`` resolved: the base's nodes, overridden or completed by this file's nodes."""
    base_ref = raw.get("extends")
    if not base_ref:
        return raw
    base_path = METHODS_DIR / f"{base_ref}.yaml"
    if not base_path.is_file():
        raise _invalid(source, f"không có phương pháp gốc {base_ref!r}", f"unknown base method {base_ref!r}")
    base = _merged_spec(_read_yaml(base_path), base_path.name)
    nodes = {str(n["code"]): dict(n) for n in base.get("nodes", [])}
    for n in raw.get("nodes", []) or []:
        code = str(n.get("code", ""))
        nodes[code] = {**nodes.get(code, {}), **n}
    merged = {**base, **{k: v for k, v in raw.items() if k not in ("nodes", "extends")}}
    merged["nodes"] = list(nodes.values())
    return merged


def _text_pair(value: Any, default: str = "") -> tuple[str, str]:
    if isinstance(value, dict):
        vi = nfc(str(value.get("vi", default)))
        return vi, nfc(str(value.get("en", vi)))
    text = nfc(str(value)) if value is not None else default
    return text, text


def _number(source: str, code: str, key: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _invalid(source, f"nút {code}: {key} phải là số", f"node {code}: {key} must be a number")
    return float(value)


def _rule(source: str, code: str, spec: Any, direction: int = 1) -> Rule:
    if spec is None:
        spec = {"kind": "value"}
    if isinstance(spec, str):
        spec = {"kind": spec}
    kind = spec.get("kind", "value")
    if kind not in RULES:
        raise _invalid(source, f"nút {code}: quy tắc {kind!r} không biết ({', '.join(RULES)})",
                       f"node {code}: unknown rule {kind!r} ({', '.join(RULES)})")
    num = lambda key, default=None: _number(source, code, key, spec.get(key, default))  # noqa: E731
    tiers: list[tuple[float, float]] = []
    for tier in spec.get("tiers", []) or []:
        at_least, share = _number(source, code, "at_least", tier.get("at_least")), \
            _number(source, code, "share", tier.get("share"))
        if at_least is None or share is None or not 0 <= share <= 1:
            raise _invalid(source, f"nút {code}: mỗi bậc cần at_least và share trong [0, 1]",
                           f"node {code}: each tier needs at_least and a share in [0, 1]")
        tiers.append((at_least, share))
    rule = Rule(kind=kind, full=num("full", 1.0), target=num("target"), base=num("base", 0.0) or 0.0,
                tiers=tuple(sorted(tiers, reverse=True)), otherwise=num("otherwise", 0.0) or 0.0,
                low=num("low", 1.0), high=num("high", 10.0), direction=int(spec.get("direction", direction)))
    if kind in ("threshold", "distance_to_target") and (rule.target is None or rule.target == rule.base):
        raise _invalid(source, f"nút {code}: quy tắc {kind} cần target khác base",
                       f"node {code}: rule {kind} needs a target different from base")
    if kind == "ratio" and not rule.full > 0:
        raise _invalid(source, f"nút {code}: full phải dương", f"node {code}: full must be positive")
    if kind == "tiers" and not tiers:
        raise _invalid(source, f"nút {code}: quy tắc tiers cần ít nhất một bậc", f"node {code}: tiers need a tier")
    if rule.direction not in (1, -1):
        raise _invalid(source, f"nút {code}: direction phải là 1 hoặc -1", f"node {code}: direction must be 1 or -1")
    if kind == "minmax" and rule.high <= rule.low:
        raise _invalid(source, f"nút {code}: minmax cần low < high", f"node {code}: minmax needs low < high")
    return rule


def _range(source: str, code: str, value: Any) -> tuple[float, float] | None:
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise _invalid(source, f"nút {code}: range phải là [thấp, cao]", f"node {code}: range must be [low, high]")
    lo = -math.inf if value[0] is None else _number(source, code, "range", value[0])
    hi = math.inf if value[1] is None else _number(source, code, "range", value[1])
    if lo > hi:
        raise _invalid(source, f"nút {code}: range thấp > cao", f"node {code}: range low > high")
    return lo, hi


def _node(source: str, spec: dict) -> Node:
    code = nfc(str(spec.get("code", ""))).strip()
    if not code or any(ch.isspace() for ch in code):
        raise _invalid(source, f"mã nút {code!r} rỗng hoặc có khoảng trắng", f"node code {code!r} empty or has spaces")
    unit = spec.get("unit", "share")
    role = spec.get("role", "index")
    if unit not in UNITS:
        raise _invalid(source, f"nút {code}: unit {unit!r} không biết", f"node {code}: unknown unit {unit!r}")
    if role not in ROLES:
        raise _invalid(source, f"nút {code}: role {role!r} không biết", f"node {code}: unknown role {role!r}")
    status = spec.get("status", "user")
    if status not in STATUSES:
        raise _invalid(source, f"nút {code}: status {status!r} không biết", f"node {code}: unknown status {status!r}")
    aggregate = spec.get("aggregate")
    children = tuple(nfc(str(c)).strip() for c in spec.get("children", []) or [])
    if children and aggregate not in AGGREGATIONS:
        raise _invalid(source, f"nút {code}: aggregate phải là một trong {', '.join(AGGREGATIONS)}",
                       f"node {code}: aggregate must be one of {', '.join(AGGREGATIONS)}")
    max_points = _number(source, code, "max", spec.get("max"))
    weight = _number(source, code, "weight", spec.get("weight"))
    scale = _number(source, code, "scale", spec.get("scale", 1.0))
    if unit in ("share", "points") and (max_points is None or max_points < 0) and role != "monitor":
        raise _invalid(source, f"nút {code}: đơn vị {unit} cần max ≥ 0", f"node {code}: unit {unit} needs max ≥ 0")
    if weight is not None and weight < 0:
        raise _invalid(source, f"nút {code}: trọng số âm", f"node {code}: negative weight")
    rule = _rule(source, code, spec.get("rule"), direction=int(spec.get("direction", 1)))
    value_range = _range(source, code, spec.get("range"))
    if value_range is None:
        value_range = {"share": (0.0, 1.0), "points": (0.0, max_points or 0.0)}.get(unit, (-math.inf, math.inf))
        if rule.kind == "minmax":
            value_range = (rule.low, rule.high)
    input_range = _range(source, code, spec.get("input_range"))
    if input_range is None:
        input_range = {"value": value_range, "ratio": (0.0, rule.full), "threshold": (0.0, math.inf)}.get(
            rule.kind, (-math.inf, math.inf))
    if unit == "score" and not children and rule.kind == "value" and math.isinf(value_range[0] - value_range[1]):
        raise _invalid(source, f"nút {code}: chỉ số thang điểm riêng cần range",
                       f"node {code}: a score input needs a range")
    name_vi, name_en = _text_pair(spec.get("name"), code)
    note_vi, note_en = _text_pair(spec.get("note"), "")
    decimals = spec.get("decimals")
    return Node(code=code, name_vi=name_vi, name_en=name_en, unit=unit, role=role, max=max_points,
                weight=weight, scale=scale if scale is not None else 1.0, aggregate=aggregate if children else None,
                children=children, rule=rule, range=value_range, input_range=input_range,
                decimals=int(decimals) if decimals is not None else None, group=str(spec.get("group", "")),
                status=status, note_vi=note_vi, note_en=note_en,
                aliases=tuple(nfc(str(a)) for a in spec.get("aliases", []) or []))


def _build(raw: Any, source: str) -> Method:
    if not isinstance(raw, dict):
        raise _invalid(source, "tệp phải là một ánh xạ YAML", "the file must be a YAML mapping")
    spec = _merged_spec(raw, source)
    nodes: dict[str, Node] = {}
    for item in spec.get("nodes", []) or []:
        if not isinstance(item, dict):
            raise _invalid(source, "mỗi nút phải là một ánh xạ", "each node must be a mapping")
        node = _node(source, item)
        if node.code in nodes:
            raise _invalid(source, f"mã nút {node.code} bị trùng", f"duplicate node code {node.code}")
        nodes[node.code] = node
    score = str(spec.get("score", ""))
    if score not in nodes:
        raise _invalid(source, f"nút điểm {score!r} không có", f"score node {score!r} is not defined")
    for node in nodes.values():
        for child in node.children:
            if child not in nodes:
                raise _invalid(source, f"nút {node.code}: nút con {child!r} không có",
                               f"node {node.code}: child {child!r} is not defined")
    order = _topological(source, nodes)
    for node in nodes.values():
        _check_aggregate(source, node, nodes)
    title_vi, title_en = _text_pair(spec.get("title"), str(spec.get("code", source)))
    notes_vi, notes_en = _text_pair(spec.get("notes"), "")
    used_for_vi, used_for_en = _text_pair(spec.get("used_for", ""), "")
    return Method(code=str(spec.get("code") or Path(source).stem), title_vi=title_vi, title_en=title_en,
                  legal_basis=nfc(str(spec.get("legal_basis", ""))), used_for=used_for_vi, used_for_en=used_for_en,
                  score=score, decimals=int(spec.get("decimals", 4)), nodes=nodes, order=order,
                  whatif_step=float(spec.get("whatif_step", 10)),
                  whatif_step_unit=str(spec.get("whatif_step_unit", "points")),
                  merge_level=str(spec.get("merge_level", "main")),
                  sources=tuple(str(s) for s in spec.get("sources", []) or []),
                  notes_vi=notes_vi, notes_en=notes_en, source_file=source, lookup=_lookup(nodes))


def _check_aggregate(source: str, node: Node, nodes: dict[str, Node]) -> None:
    if not node.children:
        return
    counted = [nodes[c] for c in node.children if nodes[c].counts]
    if not counted:
        raise _invalid(source, f"nút {node.code}: không có nút con nào được tính điểm",
                       f"node {node.code}: no child carries points or weight")
    if node.aggregate == "points":
        missing = [c.code for c in counted if c.max is None]
        if missing:
            raise _invalid(source, f"nút {node.code}: nút con {', '.join(missing)} thiếu max",
                           f"node {node.code}: children {', '.join(missing)} have no max")
        if node.unit == "score":
            raise _invalid(source, f"nút {node.code}: cộng điểm cần unit share hoặc points",
                           f"node {node.code}: a points sum needs unit share or points")
        total = sum(c.max for c in counted)
        if node.max is not None and not math.isclose(total, node.max, rel_tol=1e-9, abs_tol=1e-9):
            raise _invalid(source, f"nút {node.code}: max {node.max:g} khác tổng điểm các nút con {total:g}",
                           f"node {node.code}: max {node.max:g} differs from its children's total {total:g}")
    else:
        missing = [c.code for c in counted if c.weight is None]
        if missing:
            raise _invalid(source, f"nút {node.code}: nút con {', '.join(missing)} thiếu trọng số (weight)",
                           f"node {node.code}: children {', '.join(missing)} have no weight")


def _topological(source: str, nodes: dict[str, Node]) -> tuple[str, ...]:
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(code: str, path: tuple[str, ...]) -> None:
        if state.get(code) == 2:
            return
        if state.get(code) == 1:
            cycle = " → ".join((*path, code))
            raise _invalid(source, f"vòng lặp giữa các nút: {cycle}", f"cycle between nodes: {cycle}")
        state[code] = 1
        for child in nodes[code].children:
            visit(child, (*path, code))
        state[code] = 2
        order.append(code)

    for code in nodes:
        visit(code, ())
    return tuple(order)
