"""A NUL character (0x00) in a request is refused with a 400 in the endpoint's format, never a 500.

PostgreSQL cannot store or compare text containing NUL; these requests used to fail in the database.
"""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_api_query_parameter():
    response = Client().get("/api/v1/units", {"q": "phan\x00thiet"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "nul_character" and error["field"] == "q"
    assert "NUL" in error["message"] and "NUL" in error["message_en"]


def test_api_path():
    response = Client().get("/api/v1/plans/bt%00x/status", {"milestone": 2025})
    assert response.status_code == 400 and response.json()["error"]["field"] == "path"


def test_field_of_a_url_encoded_form_post():
    response = Client().post("/api/v1/reports/submit", "category=traffic&description=a%00b",
                             content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and response.json()["error"]["field"] == "description"


def test_open311_answers_in_the_spec_error_format():
    response = Client().get("/open311/v2/requests.xml", {"service_code": "a\x00"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "<errors><error><code>400</code>" in body and "nul_character" in body


def test_page_gets_plain_text_and_clean_requests_pass():
    response = Client().get("/ke-hoach", {"q": "\x00"})
    assert response.status_code == 400 and "NUL" in response.content.decode()
    assert Client().get("/api/v1/units", {"q": "phan thiet"}).status_code == 200


def test_text_part_of_a_multipart_post():
    response = Client().post("/api/v1/reports/submit", {"category": "traffic", "description": "ổ\x00gà"})
    assert response.status_code == 400 and response.json()["error"]["field"] == "description"


def test_json_body_with_an_escaped_nul():
    body = '{"service_code": "traffic", "description": "a\\u0000b", "lat": 10.9, "long": 108.1}'
    response = Client().post("/open311/v2/requests.json", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()[0]["code"] == 400 and "nul_character" in response.content.decode()
