"""Schema errors from any router answer in the house shape: code, Vietnamese, English, field."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_non_integer_query_parameter_names_the_field_in_both_languages():
    response = Client().get("/api/v1/plans/bt-nq10-2022/status", {"milestone": "2025x"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_input" and error["field"] == "milestone"
    assert "milestone: phải là số nguyên" in error["message"]
    assert "milestone" in error["message_en"] and "integer" in error["message_en"]
    assert error["details"][0]["where"] == "query"


def test_a_missing_query_parameter_is_reported_as_required():
    error = Client().get("/api/v1/plans/bt-nq10-2022/status").json()["error"]
    assert error["code"] == "invalid_input" and error["field"] == "milestone"
    assert "bắt buộc" in error["message"]


def _post_routes():
    from tinhso.api import api

    schema = api.get_openapi_schema()
    prefix = "/api/v1"
    routes = [re.sub(r"\{[^}]+\}", "x1", path) for path, operations in schema["paths"].items() if "post" in operations]
    return [r if r.startswith(prefix) else prefix + r for r in routes]


def test_a_form_body_on_any_json_endpoint_is_a_415_not_a_500(django_user_model):
    """nul_guard parses form bodies before the view: a JSON endpoint can then no longer read the raw
    body. Every POST route answers a form body with a 4xx in the house shape (it was a 500 page)."""
    admin = django_user_model.objects.create_superuser("root-415", "root@example.org", "x-Pass-12345")
    client = Client()
    client.force_login(admin)
    routes = _post_routes()
    assert len(routes) > 10
    seen_415 = []
    for route in routes:
        response = client.post(route, {"lat": "10.9", "lon": "108.1", "rows": "x"})
        assert response.status_code < 500, route
        assert response["Content-Type"].startswith("application/json"), route
        if response.status_code == 415:
            assert response.json()["error"]["code"] == "unsupported_media_type"
            seen_415.append(route)
    assert "/api/v1/geo/locate" in seen_415


def test_ckan_actions_take_form_fields_like_query_parameters():
    response = Client().post("/api/3/action/package_search", {"rows": "1"})
    assert response.status_code == 200
    assert response.json()["success"] is True and len(response.json()["result"]["results"]) <= 1
    bad = Client().post("/api/3/action/package_search", {"rows": "many"})
    assert bad.status_code == 409 and bad.json()["success"] is False
