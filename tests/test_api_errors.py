"""Schema errors from any router answer in the house shape: code, Vietnamese, English, field."""

from __future__ import annotations

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
