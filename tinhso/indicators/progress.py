"""Progress assessment of one indicator series against one target: pure functions, no database.

Methods (see docs/indicators.md and the research notes they cite):

- **Status to date** (ESCAP current-status form): distance travelled ``d·(y_t − y₀)/|y_T − y₀|``
  against the expected share ``(t − t₀)/(T − t₀)``.
- **Forecast (a), Statistics Canada / Open SDG CAGR method** (sdg-build ``ProgressMeasure``):
  with a target, ``R = sign·d·CAGR_o/|CAGR_r|`` classed by the thresholds 0.95 / 0.60 / 0 and scored
  −5…+5 (0 at R = 0.60, 2.5 at 0.95, 5 at 1.30); without a target, ``v = sign·d·CAGR_o`` against
  1.5 % / 0.5 % / 0 scaled by the natural-limit factor ``C``. The projected value is
  ``y_t·(1 + CAGR_o)^(T − t)``, held at the natural limit.
- **Forecast (b), time-weighted linear regression** (ESCAP anticipated progress): weighted least
  squares with weights ``(t_i − t_min + 1)^p`` (more weight on recent years), projected to T;
  anticipated progress ``AP = (ŷ_T − y₀)/(y_T − y₀)``.

Classes: achieved / on track / at risk / off track / deteriorating / insufficient data. Every
threshold is a parameter (:class:`Params`, loaded from a :class:`~tinhso.indicators.models.ThresholdSet`).

One deliberate difference from sdg-build: a zero base (or target) is replaced by ``ε`` carrying the
sign of the other value instead of always ``+ε``, so that negating a series and flipping its
direction gives the same class (sdg-build would report "no result" for a negated zero base).
"""

from __future__ import annotations

import math
import string
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from tinhso.core.errors import UserError

ACHIEVED = "achieved"
ON_TRACK = "on_track"
AT_RISK = "at_risk"
OFF_TRACK = "off_track"
DETERIORATING = "deteriorating"
INSUFFICIENT = "insufficient_data"

# Display order, best first.
CLASSES = [ACHIEVED, ON_TRACK, AT_RISK, OFF_TRACK, DETERIORATING, INSUFFICIENT]
# Ordered from the most to the least urgent: summaries list "needs action first" in this order.
SEVERITY = [DETERIORATING, OFF_TRACK, AT_RISK, INSUFFICIENT, ON_TRACK, ACHIEVED]

CLASS_LABELS = {
    ACHIEVED: ("Đã đạt", "Achieved"),
    ON_TRACK: ("Đúng hướng", "On track"),
    AT_RISK: ("Có nguy cơ không đạt", "At risk"),
    OFF_TRACK: ("Chệch hướng", "Off track"),
    DETERIORATING: ("Đi lùi", "Deteriorating"),
    INSUFFICIENT: ("Chưa đủ dữ liệu", "Insufficient data"),
}


# The method line of an assessment, in both languages: a list of ``(key, values)`` parts rendered by
# :func:`method_text` (numbers with a decimal comma in Vietnamese). ``Assessment.method`` keeps the
# English line (API, CLI); the plan page shows the reader's language.
METHOD_TEXTS = {
    "band_met": ("giá trị mới nhất {value:g} nằm trong khoảng [{low:g}, {high:g}]",
                 "latest value {value:g} is within the band [{low:g}, {high:g}]"),
    "band": ("khoảng [{low:g}, {high:g}] được đánh giá theo khoảng cách ra ngoài khoảng, càng nhỏ càng tốt",
             "band [{low:g}, {high:g}] assessed as distance outside the band, lower is better"),
    "met": ("giá trị mới nhất {value:g} ({period}) đạt mục tiêu {comparator}{target:g} của mốc {year}",
            "latest value {value:g} ({period}) meets the target {comparator}{target:g} for {year}"),
    "reported_met": ("nguồn nêu đã đạt mục tiêu mốc {year} (không có số)",
                     "the source states the {year} target was met (no figure given)"),
    "no_observation": ("chưa có số liệu", "no observation"),
    "one_observation": ("mới có một số liệu: cần ít nhất hai để tính xu hướng",
                        "one observation: a trend needs at least two"),
    "too_few_since_base": ("có ít hơn hai số liệu từ năm gốc {base}: cần ít nhất hai để tính xu hướng",
                           "fewer than two observations from the base year {base}: a trend needs at least two"),
    "milestone_not_after_base": ("mốc {year} không sau năm gốc {base}",
                                 "milestone {year} is not after the base year {base}"),
    "no_result": ("không phương pháp nào cho kết quả: {note}", "no method gives a result: {note}"),
    "cagr_at_target": ("phương pháp CAGR của Thống kê Canada: năm gốc {base} đã ở mức mục tiêu; tăng trưởng quan "
                       "sát {growth:+.4f}/năm",
                       "Statistics Canada CAGR method: base {base} already at the target; observed growth "
                       "{growth:+.4f}/yr"),
    "cagr_target": ("phương pháp CAGR của Thống kê Canada / Open SDG (có mục tiêu định lượng): "
                    "R = sign·d·CAGR_o/|CAGR_r| = {ratio:.3f} (CAGR_o {growth:+.4f}, CAGR_r {required:+.4f}, "
                    "năm gốc {base} = {y0:g}, mới nhất {t} = {yt:g}, mục tiêu {year} = {target:g}); điểm {score:+.2f}",
                    "Statistics Canada / Open SDG CAGR method (quantitative target): "
                    "R = sign·d·CAGR_o/|CAGR_r| = {ratio:.3f} (CAGR_o {growth:+.4f}, CAGR_r {required:+.4f}, "
                    "base {base} = {y0:g}, latest {t} = {yt:g}, target {year} = {target:g}); score {score:+.2f}"),
    "cagr_no_target": ("phương pháp CAGR của Thống kê Canada / Open SDG (không có mục tiêu): "
                       "v = sign·d·CAGR_o = {v:+.4f}, hệ số giới hạn tự nhiên C = {c:.3f}; điểm {score:+.2f}",
                       "Statistics Canada / Open SDG CAGR method (no target): "
                       "v = sign·d·CAGR_o = {v:+.4f}, natural-limit factor C = {c:.3f}; score {score:+.2f}"),
    "regression": ("hồi quy tuyến tính có trọng số thời gian (ESCAP): dự báo {year} = {projected:.3g}, "
                   "AP = (ŷ_T − y₀)/(y_T − y₀) = {ap:.3f}",
                   "time-weighted linear regression (ESCAP): projected {year} = {projected:.3g}, "
                   "AP = (ŷ_T − y₀)/(y_T − y₀) = {ap:.3f}"),
    "thresholds": ("ngưỡng R {h}/{m}/{lo}; CAGR khi không có mục tiêu {nh:.3%}/{nm:.3%}/{nl:.3%}·C; "
                   "AP hồi quy {ra}/{ro}",
                   "thresholds R {h}/{m}/{lo}; no-target CAGR {nh:.3%}/{nm:.3%}/{nl:.3%}·C; "
                   "regression AP {ra}/{ro}"),
}
SIGNS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "~": "≈"}
# The forecasts' notes (English in the API's ``forecast`` dict) in Vietnamese, for the method line.
NOTES_VI = {
    "a single period since the base year": "chỉ có một kỳ từ năm gốc",
    "base and latest values have opposite signs (or latest is zero): growth rate undefined":
        "giá trị năm gốc và mới nhất trái dấu (hoặc mới nhất bằng 0): không tính được tốc độ tăng",
    "growth rate out of numeric range (base too close to zero)":
        "tốc độ tăng vượt phạm vi số (năm gốc quá gần 0)",
    "target and base have opposite signs: required growth undefined":
        "mục tiêu và năm gốc trái dấu: không tính được tốc độ tăng cần thiết",
    "required growth out of numeric range (base too close to zero)":
        "tốc độ tăng cần thiết vượt phạm vi số (năm gốc quá gần 0)",
    "undefined growth": "không tính được tốc độ tăng",
    "needs two periods": "cần hai kỳ",
}


class _Formatter(string.Formatter):
    """``str.format`` with Vietnamese numbers: decimal comma (``0,953``, ``1,500%``)."""

    def __init__(self, english: bool):
        self.english = english

    def format_field(self, value, format_spec):
        text = super().format_field(value, format_spec)
        if self.english or isinstance(value, bool) or not isinstance(value, (int, float)):
            return text
        return text.replace(".", ",")


def method_text(parts: list, english: bool) -> str:
    """The method line of ``parts`` (``[(key, values), …]``) in one language, parts joined by "; "."""
    formatter = _Formatter(english)
    out = []
    for key, values in parts:
        vi, en = METHOD_TEXTS[key]
        if key == "no_result" and not english:
            values = {**values, "note": NOTES_VI.get(values.get("note", ""), values.get("note", ""))}
        out.append(formatter.format(en if english else vi, **values))
    return "; ".join(out)


@dataclass(frozen=True)
class Params:
    """Thresholds and options. Defaults are the published values; a ThresholdSet overrides them."""

    cagr_high: float = 0.95
    cagr_med: float = 0.60
    cagr_low: float = 0.0
    notarget_high: float = 0.015
    notarget_med: float = 0.005
    notarget_low: float = 0.0
    limit_exponent: float = 4.44
    zero_replacement: float = 0.001
    regression_weight_power: float = 1.0
    regression_at_risk: float = 0.8
    regression_off_track: float = 0.0
    primary_method: str = "cagr"

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Params:
        known = {f.name for f in fields(cls)}
        unknown = set(data or {}) - known
        if unknown:
            raise UserError("unknown_threshold", f"Tham số ngưỡng không hợp lệ: {sorted(unknown)}",
                            f"Unknown threshold parameters: {sorted(unknown)}", field="params")
        for name, value in (data or {}).items():
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            if name != "primary_method" and not numeric:
                raise UserError("invalid_threshold", f"Tham số ngưỡng {name} phải là số, nhận được {value!r}",
                                f"Threshold parameter {name} must be a number, got {value!r}", field="params")
        params = cls(**(data or {}))
        params._check_order()
        return params

    def _check_order(self) -> None:
        """The scores divide by the gaps between thresholds: equal or reversed ones would fail at assessment."""
        rules = [
            ("cagr_high > cagr_med > cagr_low", self.cagr_high > self.cagr_med > self.cagr_low),
            ("notarget_high > notarget_med > notarget_low",
             self.notarget_high > self.notarget_med > self.notarget_low),
            ("regression_at_risk > regression_off_track", self.regression_at_risk > self.regression_off_track),
            ("zero_replacement > 0", self.zero_replacement > 0),
            ("limit_exponent > 0", self.limit_exponent > 0),
            ("primary_method in {cagr, regression}", self.primary_method in ("cagr", "regression")),
        ]
        broken = [rule for rule, holds in rules if not holds]
        if broken:
            raise UserError("invalid_threshold", f"Tham số ngưỡng không hợp lệ, cần: {'; '.join(broken)}",
                            f"Invalid threshold parameters, required: {'; '.join(broken)}", field="params")

    def describe_part(self) -> tuple[str, dict]:
        return ("thresholds", {"h": self.cagr_high, "m": self.cagr_med, "lo": self.cagr_low,
                               "nh": self.notarget_high, "nm": self.notarget_med, "nl": self.notarget_low,
                               "ra": self.regression_at_risk, "ro": self.regression_off_track})

    def describe(self) -> str:
        return method_text([self.describe_part()], english=True)


def direction_sign(direction: str) -> int:
    return -1 if direction == "lower" else 1


def cagr(current: float, base: float, t_current: float, t_base: float) -> float:
    """Compound annual growth rate from ``base`` at ``t_base`` to ``current`` at ``t_current``."""
    return (current / base) ** (1.0 / (t_current - t_base)) - 1.0


def limit_factor(base: float, limit: float, exponent: float = 4.44) -> float:
    """Statistics Canada's natural-limit factor C (1 far from the limit, 0 at it)."""
    b, lim = abs(base), abs(limit)
    if lim == 0:
        return 1.0
    if b >= 2 * lim:
        return 1.0
    if b <= lim:
        return 1.0 - (b / lim) ** exponent
    return 1.0 - ((2 * lim - b) / lim) ** exponent


def score_with_target(ratio: float, p: Params = Params()) -> float:
    """Score −5…+5 from R: 0 at the medium threshold, 2.5 at the high one, 5 one step further."""
    if ratio >= p.cagr_med:
        return min(2.5 * (ratio - p.cagr_med) / (p.cagr_high - p.cagr_med), 5.0)
    return max(-2.5 + 2.5 * (ratio - p.cagr_low) / (p.cagr_med - p.cagr_low), -5.0)


def class_with_target(ratio: float, p: Params = Params()) -> str:
    if ratio >= p.cagr_high:
        return ON_TRACK
    if ratio >= p.cagr_med:
        return AT_RISK
    if ratio >= p.cagr_low:
        return OFF_TRACK
    return DETERIORATING


def score_without_target(v: float, c: float, p: Params = Params()) -> float:
    """Score for a directional growth rate ``v`` with limit factor ``c`` (sdg-build Method 1)."""
    low, med, high = p.notarget_low, p.notarget_med * c, p.notarget_high * c
    top_step = (p.notarget_high - p.notarget_med) / 2
    if v < low:
        return max(-2.5 + 2.5 * (v - low) / (p.notarget_high + top_step), -5.0)
    if c == 0:
        return 5.0
    if v < med:
        return -2.5 + 2.5 * (v - low) / (med - low)
    if v < high:
        return 2.5 * (v - med) / (high - med)
    return min(2.5 + 2.5 * (v - high) / (top_step * c), 5.0)


def class_without_target(v: float, c: float, p: Params = Params()) -> str:
    if c == 0:
        return ON_TRACK if v >= p.notarget_low else DETERIORATING
    if v >= p.notarget_high * c:
        return ON_TRACK
    if v >= p.notarget_med * c:
        return AT_RISK
    if v >= p.notarget_low:
        return OFF_TRACK
    return DETERIORATING


def class_from_score(score: float) -> str:
    """Class of a mean score (pillar/plan summaries), on the same −5…+5 scale."""
    if score >= 2.5:
        return ON_TRACK
    if score >= 0:
        return AT_RISK
    if score >= -2.5:
        return OFF_TRACK
    return DETERIORATING


def weighted_linear_fit(points: list[tuple[float, float]], power: float = 1.0) -> tuple[float, float]:
    """Weighted least squares ``y = a + b·t`` with weights ``(t − t_min + 1)^power``; returns (a, b)."""
    t_min = min(t for t, _ in points)
    w = [(t - t_min + 1) ** power for t, _ in points]
    sw = sum(w)
    tm = sum(wi * t for wi, (t, _) in zip(w, points)) / sw
    ym = sum(wi * y for wi, (_, y) in zip(w, points)) / sw
    stt = sum(wi * (t - tm) ** 2 for wi, (t, _) in zip(w, points))
    sty = sum(wi * (t - tm) * (y - ym) for wi, (t, y) in zip(w, points))
    slope = sty / stt
    return ym - slope * tm, slope


def meets(value: float, target: float, direction: str, comparator: str = ">=", high: float | None = None) -> bool:
    """Does ``value`` meet the target? ``comparator`` is the plan's wording ('>' for "trên 80%")."""
    if direction == "band":
        return target <= value <= (high if high is not None else target)
    strict = comparator in (">", "<")
    if direction == "lower":
        return value < target if strict else value <= target
    return value > target if strict else value >= target


def _hold_at_limit(projected: float, d: int, limit: float | None) -> float:
    """A projection cannot pass the natural limit (the best attainable value, e.g. 100 %)."""
    if limit is None:
        return projected
    return min(projected, limit) if d > 0 else max(projected, limit)


def _nonzero(value: float, like: float, eps: float) -> float:
    """Replace an exact zero by ε with the sign of ``like`` (see the module note)."""
    if value != 0:
        return value
    return -eps if like < 0 else eps


@dataclass
class Assessment:
    status: str
    score: float | None
    method: str  # in English (API, CLI); ``method_parts`` renders in either language (method_text)
    reason: str = ""
    latest: dict | None = None
    base: dict | None = None
    to_date: dict | None = None
    forecast: dict = field(default_factory=dict)
    method_parts: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    def method_in(self, english: bool) -> str:
        return method_text(self.method_parts, english)


def _assessment(status: str, score: float | None, parts: list, **kwargs) -> Assessment:
    return Assessment(status, score, method_text(parts, english=True), method_parts=parts, **kwargs)


def _series(series: list[tuple[int, float]]) -> list[tuple[int, float]]:
    seen: dict[int, float] = {}
    for period, value in series:
        if period in seen:
            raise UserError("duplicate_period", f"Chuỗi số liệu có hai giá trị cho cùng kỳ {period}",
                            f"The series has two values for the same period {period}",
                            field="period", details={"period": period})
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        seen[period] = float(value)
    return sorted(seen.items())


def _band_deviation(value: float, low: float, high: float) -> float:
    return max(low - value, 0.0, value - high)


def assess(series: list[tuple[int, float]], *, target: float | None, target_year: int, base_year: int,
           direction: str = "higher", limit: float | None = None, comparator: str = ">=",
           target_high: float | None = None, reported_met: bool = False, params: Params = Params()) -> Assessment:
    """Assess a yearly series ``[(year, value), …]`` against ``target`` for ``target_year``.

    ``reported_met`` is a source's statement, without a figure, that the target was met.
    Duplicate years raise :class:`UserError` (code ``duplicate_period``).
    """
    points = _series(series)
    p = params
    latest = {"period": points[-1][0], "value": points[-1][1]} if points else None

    if direction == "band":
        if target is None:
            raise UserError("band_without_target", "Chỉ tiêu dạng khoảng cần giá trị mục tiêu",
                            "A band indicator needs a target range", field="target")
        low, high = target, target_high if target_high is not None else target
        if latest and meets(latest["value"], low, "band", high=high):
            return _assessment(ACHIEVED, 5.0, [("band_met", {"value": latest["value"], "low": low, "high": high})],
                               latest=latest)
        deviations = [(t, _band_deviation(v, low, high)) for t, v in points]
        inner = assess(deviations, target=0.0, target_year=target_year, base_year=base_year, direction="lower",
                       params=params)
        inner.latest = latest
        inner.method_parts = [("band", {"low": low, "high": high}), *inner.method_parts]
        inner.method = method_text(inner.method_parts, english=True)
        return inner

    d = direction_sign(direction)
    if latest and target is not None and meets(latest["value"], target, direction, comparator):
        result = _assessment(ACHIEVED, 5.0, [("met", {"value": latest["value"], "period": latest["period"],
                                                       "comparator": SIGNS.get(comparator, comparator),
                                                       "target": target,
                                                       "year": target_year})], latest=latest)
        if len(points) >= 2:
            result.forecast = _forecasts(points, target, target_year, base_year, d, limit, comparator, p)[0]
        return result
    if reported_met and target is not None:
        return _assessment(ACHIEVED, 5.0, [("reported_met", {"year": target_year})], reason="reported_met")
    if not points:
        return _assessment(INSUFFICIENT, None, [("no_observation", {})], reason="no_observation")
    usable = [(t, v) for t, v in points if t >= base_year]
    if len(usable) < 2:
        why = "one_observation" if len(points) == 1 else "too_few_since_base"
        return _assessment(INSUFFICIENT, None, [(why, {"base": base_year})], latest=latest, reason=why)
    if target_year <= usable[0][0]:
        return _assessment(INSUFFICIENT, None, [("milestone_not_after_base", {"year": target_year,
                                                                               "base": usable[0][0]})],
                           latest=latest, reason="milestone_not_after_base")

    forecast, primary = _forecasts(points, target, target_year, base_year, d, limit, comparator, p)
    (t0, y0), (t, yt) = usable[0], usable[-1]
    to_date = None
    if target is not None and target != y0:
        to_date = {
            "distance_travelled": d * (yt - y0) / abs(target - y0),
            "expected_share": (t - t0) / (target_year - t0),
        }
        to_date["ahead_of_schedule"] = to_date["distance_travelled"] >= to_date["expected_share"]
    chosen = primary.get(p.primary_method) or primary.get("cagr") or primary.get("regression")
    if chosen is None:
        note = forecast.get("cagr", {}).get("note", "undefined growth")
        return _assessment(INSUFFICIENT, None, [("no_result", {"note": note})], latest=latest,
                           base={"period": t0, "value": y0}, to_date=to_date, forecast=forecast, reason="undefined")
    status, score, part = chosen
    return _assessment(status, score, [part, p.describe_part()], latest=latest,
                       base={"period": t0, "value": y0}, to_date=to_date, forecast=forecast)


def _forecasts(points, target, target_year, base_year, d, limit, comparator, p: Params):
    """Both forecasts; returns (forecast dict, {method: (class, score, (text key, values))})."""
    usable = [(t, v) for t, v in points if t >= base_year] or points
    (t0, y0_raw), (t, yt) = usable[0], usable[-1]
    forecast: dict[str, dict] = {}
    primary: dict[str, tuple[str, float | None, str]] = {}

    # (a) Statistics Canada CAGR method.
    y0 = _nonzero(y0_raw, yt, p.zero_replacement)
    sign = -1 if y0 < 0 else 1
    entry: dict[str, Any] = {"method": "cagr"}
    if t == t0:
        entry["note"] = "a single period since the base year"
    elif (y0 > 0) != (yt > 0) or yt == 0:
        entry["note"] = "base and latest values have opposite signs (or latest is zero): growth rate undefined"
    else:
        growth = cagr(yt, y0, t, t0)
        try:
            projected = _hold_at_limit(yt * (1 + growth) ** (target_year - t), d, limit)
        except OverflowError:
            projected = math.inf
        if not (math.isfinite(growth) and math.isfinite(projected)):
            entry["note"] = "growth rate out of numeric range (base too close to zero)"
        else:
            entry.update(cagr_observed=growth, projected=projected)
        if "note" in entry:
            pass
        elif target is not None:
            y_target = _nonzero(target, y0, p.zero_replacement)
            entry["gap"] = target - projected
            if (y_target > 0) != (y0 > 0):
                entry["note"] = "target and base have opposite signs: required growth undefined"
            else:
                required = cagr(y_target, y0, target_year, t0)
                entry["cagr_required"] = required
                if not math.isfinite(required):
                    entry["note"] = "required growth out of numeric range (base too close to zero)"
                elif abs(required) < 1e-12:
                    # Base already at the target: the only question is whether we slipped back.
                    moving = sign * d * growth
                    status, score = (ON_TRACK, 5.0) if moving >= 0 else (DETERIORATING, -5.0)
                    entry.update(ratio=None, status=status, score=score)
                    primary["cagr"] = (status, score, ("cagr_at_target", {"base": t0, "growth": growth}))
                else:
                    ratio = sign * d * growth / abs(required)
                    status, score = class_with_target(ratio, p), score_with_target(ratio, p)
                    entry.update(ratio=ratio, status=status, score=score)
                    primary["cagr"] = (status, score, ("cagr_target", {
                        "ratio": ratio, "growth": growth, "required": required, "base": t0, "y0": y0_raw,
                        "t": t, "yt": yt, "year": target_year, "target": target, "score": score}))
        else:
            c = limit_factor(y0, limit, p.limit_exponent) if limit is not None else 1.0
            v = sign * d * growth
            status, score = class_without_target(v, c, p), score_without_target(v, c, p)
            entry.update(growth_directional=v, limit_factor=c, status=status, score=score)
            primary["cagr"] = (status, score, ("cagr_no_target", {"v": v, "c": c, "score": score}))
    forecast["cagr"] = entry

    # (b) Time-weighted linear regression (ESCAP anticipated progress).
    reg: dict[str, Any] = {"method": "weighted_regression", "weight_power": p.regression_weight_power}
    if len({tt for tt, _ in points}) < 2:
        reg["note"] = "needs two periods"
    else:
        intercept, slope = weighted_linear_fit(points, p.regression_weight_power)
        projected = _hold_at_limit(intercept + slope * target_year, d, limit)
        reg.update(slope=slope, projected=projected)
        if target is not None:
            reg["gap"] = target - projected
            if target != y0_raw:
                ap = (projected - y0_raw) / (target - y0_raw)
                reg["anticipated_progress"] = ap
                if meets(projected, target, "lower" if d < 0 else "higher", comparator):
                    status = ON_TRACK
                elif ap >= p.regression_at_risk:
                    status = AT_RISK
                elif ap >= p.regression_off_track:
                    status = OFF_TRACK
                else:
                    status = DETERIORATING
                reg["status"] = status
                primary["regression"] = (status, None, ("regression", {"year": target_year, "projected": projected,
                                                                       "ap": ap}))
    forecast["regression"] = reg
    return forecast, primary
