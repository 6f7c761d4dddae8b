"""Sentences from templates: a sandboxed Jinja2 environment with Babel number and date filters.

The same figures always give the same text (no clock, no randomness, no locale of the machine:
the language is an argument). Templates are data (``data/headline.toml`` for the headline
figures, ``data/detectors.toml`` for the detectors' findings); they see only what they are given,
and an undefined name is an error (``StrictUndefined``), so a sentence is never written without
its figures.

Filters (see :mod:`tinhso.analysis.findings`):

=========  ==========================================  ===================  ==================
filter     input                                       vi                   en
=========  ==========================================  ===================  ==================
num        a number (``num(1)`` for one decimal)       1.234 / 12,5         1,234 / 12.5
pct        a fraction 0–1                              12,5 %               12.5%
pp         a difference of two fractions               +3,2 điểm %          +3.2 pp
signed     a number with its sign                      +3 / −3              +3 / −3
date       a date or ISO date text                     25/10/2025           25 October 2025
month      a date, ``YYYY-MM`` or ISO date text        tháng 10/2025        October 2025
=========  ==========================================  ===================  ==================
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import tomllib
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from jinja2 import StrictUndefined, Undefined, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from tinhso.core.errors import UserError

LANGS = ("vi", "en")
LOCALES = {"vi": "vi_VN", "en": "en_GB"}
MINUS = "\u2212"
_SPACES = re.compile(r"[ \t\r\n]+")  # not the no-break spaces the filters write
DATA = Path(__file__).parent / "data"


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise UserError("bad_lang", f"Ngôn ngữ {lang!r} không hỗ trợ (vi, en)", f"Unsupported language {lang!r} (vi, en)",
                        field="lang")
    return lang


def _decimal(value: float, lang: str, digits: int) -> str:
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(round(float(value), digits) + 0.0, format=pattern, locale=LOCALES[lang])


def num(value, lang: str, digits: int = 0) -> str:
    if value is None:
        raise ValueError("num: no value")
    text = _decimal(abs(value), lang, digits)
    return (MINUS + text) if value < 0 and text.strip("0.,") else text


def signed(value, lang: str, digits: int = 0) -> str:
    if value is None:
        raise ValueError("signed: no value")
    text = _decimal(abs(value), lang, digits)
    if not text.strip("0.,"):
        return "±" + text
    return ("+" if value > 0 else MINUS) + text


def pct(value, lang: str, digits: int = 1) -> str:
    if value is None:
        raise ValueError("pct: no value")
    text = num(value * 100, lang, digits)
    return f"{text}\u00a0%" if lang == "vi" else f"{text}%"


def pp(value, lang: str, digits: int = 1) -> str:
    if value is None:
        raise ValueError("pp: no value")
    text = signed(value * 100, lang, digits)
    return f"{text} điểm\u00a0%" if lang == "vi" else f"{text}\u00a0pp"


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value)
    if len(text) == 7:
        text += "-01"
    return dt.date.fromisoformat(text[:10])


def date(value, lang: str) -> str:
    day = _as_date(value)
    if lang == "vi":
        return f"{day.day:02d}/{day.month:02d}/{day.year}"
    return format_date(day, "d MMMM y", locale=LOCALES[lang])


def month(value, lang: str) -> str:
    day = _as_date(value)
    if lang == "vi":
        return f"tháng {day.month}/{day.year}"
    return format_date(day, "LLLL y", locale=LOCALES[lang])


@functools.lru_cache(maxsize=4)
def environment(lang: str) -> ImmutableSandboxedEnvironment:
    """The sandbox for ``lang``: HTML-escaping off (sentences are plain text, escaped where shown)."""
    check_lang(lang)
    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
    for name, func in {"num": num, "signed": signed, "pct": pct, "pp": pp, "date": date, "month": month}.items():
        env.filters[name] = functools.partial(_bound, func, lang)
    return env


def _bound(func, lang, value, *args):
    if isinstance(value, Undefined):
        str(value)  # StrictUndefined: raises UndefinedError naming the missing figure
    return func(value, lang, *args)


@functools.lru_cache(maxsize=32)
def _compiled(lang: str, source: str):
    return environment(lang).from_string(source)


def render(source: str, lang: str, **context: Any) -> str:
    """One sentence: ``source`` rendered with ``context``; whitespace collapsed."""
    return _SPACES.sub(" ", _compiled(lang, source).render(**context)).strip(" ")


@functools.lru_cache(maxsize=4)
def _load(name: str) -> dict:
    path = DATA / name
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        return tomllib.load(handle)


def headline_templates() -> dict:
    return _load("headline.toml")


def detector_templates() -> dict:
    """The detectors' sentence templates (their file, written with the detectors)."""
    return _load("detectors.toml")


def unit_name(finding: dict, lang: str) -> str:
    """The responsible unit's name in ``lang``: in English its ``unit_name_en`` when it has one (findings
    stored before they carried it, or of a unit without an English name, keep the Vietnamese name)."""
    if lang == "en":
        return finding.get("unit_name_en") or finding["unit_name"]
    return finding["unit_name"]


def finding_text(finding: dict, lang: str) -> dict:
    """``{"finding": …, "action": …}`` for a finding (as a dict) in ``lang``, from its kind's templates
    (``unit_name`` in them is the unit's name in ``lang``, see :func:`unit_name`).

    A finding whose kind has no templates is an error, not a silent omission."""
    entry = detector_templates().get(finding["kind"])
    if not entry or f"finding_{lang}" not in entry:
        raise UserError("no_template", f"Chưa có mẫu câu cho phát hiện {finding['kind']!r}",
                        f"No sentence template for finding {finding['kind']!r}")
    context = {"figures": finding["figures"], "subject": finding.get("subject") or {},
               "unit_code": finding["unit_code"], "unit_name": unit_name(finding, lang),
               "unit_kind": finding["unit_kind"]}
    out = {"finding": render(entry[f"finding_{lang}"], lang, **context)}
    action = entry.get(f"action_{lang}")
    out["action"] = render(action, lang, **context) if action else ""
    # The rule in the report's language, with its parameters from the figures. A report archived before
    # the rules had templates lacks some of those figures: it keeps the rule it was stored with.
    rule = entry.get(f"rule_{lang}")
    try:
        out["rule"] = render(rule, lang, **context) if rule else finding["rule"]
    except UndefinedError:
        out["rule"] = finding["rule"]
    return out
