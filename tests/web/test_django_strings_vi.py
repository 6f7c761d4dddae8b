"""Django's own strings that its Vietnamese catalogue leaves in English ("Skip to main content" on the
Vietnamese admin, password and form errors) come from tinhso's catalogue, tinhso/locale/vi."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.contrib.auth.password_validation import MinimumLengthValidator
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext, ngettext

import tinhso

PO = Path(tinhso.__file__).parent / "locale" / "vi" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|%[sd]|\{\w*\}")


def _messages():
    with PO.open("rb") as fh:
        return [m for m in read_po(fh) if m.id]


def test_every_message_is_translated_with_the_same_placeholders():
    messages = _messages()
    assert len(messages) > 50
    for m in messages:
        source = m.id if isinstance(m.id, tuple) else (m.id,)
        target = m.string if isinstance(m.string, tuple) else (m.string,)
        assert all(target), m.id
        for text in target:
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(source[-1])), m.id


def test_catalogue_is_compiled():
    """The .mo beside the .po holds every message (the .po was compiled after its last edit)."""
    with translation.override("vi"):
        for m in _messages():
            if isinstance(m.id, tuple):
                assert ngettext(m.id[0], m.id[1], 2) == m.string[0]
            elif not m.context:
                assert gettext(m.id) == m.string, m.id


def test_password_rule_in_vietnamese():
    with translation.override("vi"), pytest.raises(ValidationError) as err:
        MinimumLengthValidator(12).validate("short")
    assert err.value.messages == ["Mật khẩu này quá ngắn: cần ít nhất 12 ký tự."]


@pytest.mark.django_db
def test_vietnamese_admin_has_no_english_skip_link(client):
    client.cookies["django_language"] = "vi"
    html = client.get("/admin/login/").content.decode()
    assert "Bỏ qua, đến nội dung chính" in html
    assert "Skip to main content" not in html
    client.cookies["django_language"] = "en"
    assert "Skip to main content" in client.get("/admin/login/").content.decode()
