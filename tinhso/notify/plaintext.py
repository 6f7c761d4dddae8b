"""A faster way through Django's engine for the plain-text message templates.

Message templates (``<name>.subject.txt`` and ``<name>.txt``) use a small part of Django's language:
text, ``{{ name }}`` and ``{% if name %}…{% elif name %}…{% else %}…{% endif %}``, with string values.
Rendering them through :class:`django.template.Template` costs a ``Context``, a render context and
several calls per node; on the intake path (a citizen's acknowledgement at every submission) that was
a measurable part of a submission (docs/benchmarks.md, "Intake, seventh round").

:func:`compile_plain` turns a compiled Django template into a tree of tuples when every node is one of
those; :func:`render_plain` renders it from a plain dict, and answers ``None`` (the caller then renders
through Django) whenever a value is not a plain string: a missing name in ``{{ }}``, a number, a date,
a callable — so the output is always Django's own (``tests/notify/test_plaintext.py`` renders every
message template both ways). Not for autoescaped (HTML) templates. Not a library's job: it reads
Django's parsed nodes, a few lines over Django's public node classes.
"""

from __future__ import annotations

from django.template.base import TextNode, Variable, VariableNode
from django.template.defaulttags import IfNode, TemplateLiteral

TEXT, VALUE, BRANCH = 0, 1, 2


class _NotPlain(Exception):
    pass


def _name(expression) -> str:
    """The plain variable name of a filter expression without filters, else :class:`_NotPlain`."""
    var = getattr(expression, "var", None)
    if (expression.filters or not isinstance(var, Variable) or var.literal is not None or var.translate
            or var.lookups is None or len(var.lookups) != 1):
        raise _NotPlain
    return var.lookups[0]


def _compile(nodelist) -> tuple:
    out = []
    for node in nodelist:
        kind = type(node)
        if kind is TextNode:
            out.append((TEXT, node.s))
        elif kind is VariableNode:
            out.append((VALUE, _name(node.filter_expression)))
        elif kind is IfNode:
            branches = []
            for condition, body in node.conditions_nodelists:
                if condition is None:
                    name = None
                elif type(condition) is TemplateLiteral:
                    name = _name(condition.value)
                else:  # operators (and, not, ==, in …): Django's own rules
                    raise _NotPlain
                branches.append((name, _compile(body)))
            out.append((BRANCH, tuple(branches)))
        else:
            raise _NotPlain
    return tuple(out)


def compile_plain(template) -> tuple | None:
    """The plain form of a Django template (``engine.get_template(...)``), or None if it uses more."""
    try:
        return _compile(template.nodelist)
    except _NotPlain:
        return None


def render_plain(plain: tuple, context: dict) -> str | None:
    """``plain`` rendered with ``context`` (str values only), or None where Django must decide."""
    parts: list[str] = []
    return "".join(parts) if _render(plain, context, parts) else None


_MISSING = object()


def _render(plain: tuple, context: dict, parts: list[str]) -> bool:
    for kind, item in plain:
        if kind is TEXT:
            parts.append(item)
        elif kind is VALUE:
            value = context.get(item, _MISSING)
            if type(value) is not str:
                return False
            parts.append(value)
        else:
            for name, body in item:
                if name is not None:
                    value = context.get(name)
                    if value is not None and type(value) is not str:
                        return False
                    if not value:
                        continue
                if not _render(body, context, parts):
                    return False
                break
    return True
