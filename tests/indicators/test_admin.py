"""Observations added in the admin go through the same service as imports: revision chain, who entered it."""

from __future__ import annotations

import pytest
from django.test import Client

from tinhso.indicators import setup
from tinhso.indicators.models import Indicator, Observation, Source
from tinhso.indicators.observations import resolve_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(django_user_model):
    setup.load_demo(out=lambda *a, **k: None)
    user = django_user_model.objects.create_superuser("planner", password="x")
    client = Client()
    client.force_login(user)
    return client, user


def _form(**changes) -> dict:
    fibre = Indicator.objects.get(code="fibre-coverage")
    data = {"indicator": fibre.pk, "unit": resolve_unit("legacy:60").pk, "level": "all", "period": 2024,
            "period_label": "", "value": "93", "qualifier": "", "reported_met_milestone": "",
            "source": Source.objects.get(key="seed-000-bt-cau-truc-cds").pk, "quote": "", "note": "",
            "revision_note": "Sửa số liệu", "entered_by_name": "someone else"}
    data.update(changes)
    return data


def test_admin_addition_is_a_revision_by_the_signed_in_user(staff_client):
    client, user = staff_client
    previous = Observation.objects.get(indicator__code="fibre-coverage", period=2024)
    response = client.post("/admin/indicators/observation/add/", _form())
    assert response.status_code == 302, response.content.decode()[:2000]
    added = Observation.objects.filter(indicator__code="fibre-coverage", period=2024).latest("id")
    assert added.value == 93 and added.supersedes_id == previous.pk
    assert added.entered_by == user and added.entered_by_name == "planner"


def test_admin_addition_without_value_or_statement_is_a_form_error(staff_client):
    client, _ = staff_client
    before = Observation.objects.count()
    response = client.post("/admin/indicators/observation/add/", _form(value=""))
    assert response.status_code == 200 and "value is required" in response.content.decode()
    assert Observation.objects.count() == before
