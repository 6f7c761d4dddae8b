"""The admin in Vietnamese names every model and field in Vietnamese (issue 12: "Chọn routing rule
để thay đổi" no more), and in English in English.

The check reads the page's headings, breadcrumbs, column headers, filter titles and form labels and
looks for the English names Django would derive from the code (``RoutingRule`` → "routing rule",
``name_vi`` → "name vi") when a model or field has no translated ``verbose_name``.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import translation
from django.utils.text import camel_case_to_spaces

pytestmark = pytest.mark.django_db

WATCHED = {"title", "h1", "h2", "h3", "th", "caption", "label", "summary"}


class Headings(HTMLParser):
    """Text of the watched elements and of the breadcrumbs."""

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.texts: list[str] = []
        self.crumbs = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "img", "input", "meta", "link", "hr"):
            return
        classes = dict(attrs).get("class") or ""
        if "breadcrumbs" in classes.split():
            self.crumbs = len(self.stack) + 1
        self.stack.append(tag)
        self.texts.append("")  # a new text run per element

    def handle_endtag(self, tag):
        if tag in ("br", "img", "input", "meta", "link", "hr"):
            return
        if self.stack:
            self.stack.pop()
        if self.crumbs and len(self.stack) < self.crumbs:
            self.crumbs = 0
        self.texts.append("")

    def handle_data(self, data):
        if self.crumbs or (self.stack and self.stack[-1] in WATCHED):
            self.texts[-1] = (self.texts[-1] if self.texts else "") + data


def _texts(html: str) -> list[str]:
    parser = Headings()
    parser.feed(html)
    return [re.sub(r"\s+", " ", t).strip().lower() for t in parser.texts if t.strip()]


def _project_models():
    return [m for m in apps.get_models() if m.__module__.startswith("tinhso.")]


def _english_names():
    """English names Django derives from the code, minus those the Vietnamese happens to share."""
    model_names, field_names = set(), set()
    with translation.override("vi"):
        for model in _project_models():
            default = camel_case_to_spaces(model.__name__)
            for name in (default, default + "s"):
                if name not in (str(model._meta.verbose_name), str(model._meta.verbose_name_plural)):
                    model_names.add(name)
            for field in model._meta.get_fields():
                if field.concrete and not field.auto_created:
                    default = field.name.replace("_", " ")
                    if default != str(field.verbose_name):
                        field_names.add(default)
    return model_names, field_names


def _pages():
    for model in admin.site._registry:
        if not model.__module__.startswith("tinhso."):
            continue
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        yield reverse(f"{prefix}_changelist")
        yield reverse(f"{prefix}_add")
        first = model._default_manager.order_by("pk").first()
        if first is not None:  # the unit registry is loaded for the session: units have inlines
            yield reverse(f"{prefix}_change", args=[first.pk])
    yield reverse("admin:index")
    for app in {m._meta.app_label for m in admin.site._registry if m.__module__.startswith("tinhso.")}:
        yield reverse("admin:app_list", args=[app])  # an app with no admin page has no app list


def test_every_project_model_and_field_has_a_translated_name():
    for model in _project_models():
        assert type(model._meta.verbose_name).__name__.startswith("__proxy"), model
        assert type(model._meta.verbose_name_plural).__name__.startswith("__proxy"), model
        for field in model._meta.get_fields():
            if field.concrete and not field.auto_created:
                assert type(field.verbose_name).__name__.startswith("__proxy"), (model, field.name)
    for model_admin in admin.site._registry.values():
        for inline in model_admin.inlines:
            for name in (inline.verbose_name, inline.verbose_name_plural):
                assert name is None or type(name).__name__.startswith("__proxy"), inline


def test_admin_in_vietnamese_shows_no_english_model_or_field_name(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="pw", email="root@example.org")
    client.force_login(root)
    client.raise_request_exception = False  # read-only admins answer 403 to "add"
    model_names, field_names = _english_names()
    found = []
    pages = 0
    for url in _pages():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="vi")
        if response.status_code != 200:
            continue
        pages += 1
        for text in _texts(response.content.decode()):
            for name in model_names:
                if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text):
                    found.append((url, name, text))
            if text.rstrip(":") in field_names:
                found.append((url, text, text))
    assert pages > 40
    assert not found, found[:20]


def test_admin_in_english_names_models_in_english(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="pw", email="root@example.org")
    client.force_login(root)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("admin:reports_routingrule_changelist"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "routing rule" in page.lower() and "quy tắc chuyển xử lý" not in page.lower()
    index = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Handling units" in index and "Field reports" in index
