"""The plain-text fast path renders every message template exactly as Django does, or steps aside."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.template import Context, Engine
from hypothesis import given, settings
from hypothesis import strategies as st

from tinhso.notify import outbox
from tinhso.notify.plaintext import compile_plain, render_plain

ROOT = Path(outbox.__file__).resolve().parents[1]
TEMPLATES = sorted(p for p in ROOT.glob("*/templates/*/notify/*.txt"))
NAMES = re.compile(r"{{\s*(\w+)|{%\s*(?:el)?if\s+(?:not\s+)?(\w+)|default:(\w+)")
ENGINE = Engine(app_dirs=True, autoescape=False)


def template_name(path: Path) -> str:
    return path.relative_to(path.parents[2]).as_posix()


def names_in(path: Path) -> list[str]:
    return sorted({a or b or c for a, b, c in NAMES.findall(path.read_text())})


def django_render(path: Path, context: dict) -> str:
    return ENGINE.get_template(template_name(path)).render(Context(context, autoescape=False))


def outcome(render, *args) -> tuple:
    """The text, or the error Django raises (a filter argument that is missing: both ways alike)."""
    try:
        return "text", render(*args)
    except Exception as error:  # noqa: BLE001 - compared, not hidden
        return "error", type(error).__name__


def test_the_message_templates_are_found_and_most_have_a_plain_form():
    assert len(TEMPLATES) >= 30
    plain = [p.name for p in TEMPLATES if compile_plain(ENGINE.get_template(template_name(p))) is not None]
    # The intake path's two: the citizen's acknowledgement and the handlers' new assignment.
    for name in ("report_acknowledged.txt", "report_acknowledged.subject.txt", "report_assigned.txt",
                 "report_assigned.subject.txt"):
        assert name in plain
    # Filters ({{ result|default:note }}) and operators ({% if not x %}) are left to Django.
    assert "report_resolved.txt" not in plain
    assert len(plain) >= len(TEMPLATES) // 2


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_every_template_renders_as_django_does(path):
    names = names_in(path)
    filled = {name: f"«{name} – Đắk Lắk»" for name in names}
    empty = dict.fromkeys(names, "")
    half = {name: f"v{i}" for i, name in enumerate(names) if i % 2}
    odd = {**filled, **{name: 7 for name in names[:1]}}  # a number: Django's localisation decides
    subject = path.name.endswith(".subject.txt")
    compiled = outbox._templates(template_name(path).removesuffix(".txt").removesuffix(".subject"))[0 if subject else 1]
    for context in (filled, empty, half, odd, {}):
        assert outcome(outbox._render_text, compiled, context) == outcome(django_render, path, context)


@settings(max_examples=60, deadline=None)
@given(values=st.dictionaries(st.sampled_from(["code", "category_vi", "category_en", "commune", "unit", "unit_en",
                                               "due", "note", "track_url_unit", "private_url", "secret"]),
                              st.one_of(st.text(max_size=12), st.none(), st.integers(-3, 3),
                                        st.just(dt.date(2026, 7, 1)))))
def test_random_values_give_django_output_or_step_aside(values):
    for name in ("report_assigned.txt", "report_acknowledged.txt"):
        path = next(p for p in TEMPLATES if p.name == name)
        template = ENGINE.get_template(template_name(path))
        plain = compile_plain(template)
        got = render_plain(plain, values)
        expected = django_render(path, values)
        if got is not None:
            assert got == expected
        else:  # only where a value is not a plain string
            assert any(type(v) is not str for v in values.values()) or set(names_in(path)) - set(values)
        assert outbox._render_text((template, plain), values) == expected


def test_the_fast_path_is_taken_for_string_values():
    path = next(p for p in TEMPLATES if p.name == "report_assigned.txt")
    plain = compile_plain(ENGINE.get_template(template_name(path)))
    context = dict.fromkeys(names_in(path), "x")
    assert render_plain(plain, context) == django_render(path, context)
    assert render_plain(plain, {**context, "code": None}) is None  # {{ code }} with no string: Django decides
    assert render_plain(plain, {k: v for k, v in context.items() if k != "due"}) is not None  # {% if due %} only
