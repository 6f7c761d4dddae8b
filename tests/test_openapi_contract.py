"""The OpenAPI document of /api/v1 tells the truth: one schema per name, every error documented."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from ninja.openapi.schema import OpenAPISchema

from tinhso.api import api

pytestmark = pytest.mark.django_db


def _definitions_by_name(monkeypatch) -> tuple[dict, dict[str, list[dict]]]:
    """The schema, and every component definition ninja registered under each name while building it
    (ninja keeps the last one silently, so two different models with one name would both point there)."""
    seen: dict[str, list[dict]] = {}
    original = OpenAPISchema.add_schema_definitions

    def recording(self, definitions):
        for name, definition in definitions.items():
            seen.setdefault(name, []).append(json.loads(json.dumps(definition, sort_keys=True)))
        return original(self, definitions)

    monkeypatch.setattr(OpenAPISchema, "add_schema_definitions", recording)
    return api.get_openapi_schema(), seen


def test_no_two_different_schemas_share_a_name(monkeypatch):
    _, seen = _definitions_by_name(monkeypatch)
    assert seen, "no component schema recorded"
    clashes = {name: len({json.dumps(d, sort_keys=True) for d in defs}) for name, defs in seen.items()}
    assert {name: n for name, n in clashes.items() if n > 1} == {}


def test_every_operation_documents_its_errors_with_the_one_error_schema():
    schema = api.get_openapi_schema()
    error_ref = {"$ref": "#/components/schemas/ErrorOut"}
    missing = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = {int(s): r for s, r in operation["responses"].items()}
            expected = {400} | ({404} if "{" in path else set()) | ({401, 403} if operation.get("security") else set())
            if not expected <= set(responses):
                missing.append((method, path, sorted(expected - set(responses))))
            # 414: gunicorn refuses an over-long request line before Django, with its own HTML page.
            assert "content" not in responses[414], (method, path)
            for status, response in responses.items():
                if status >= 400 and status != 414:
                    assert response["content"]["application/json"]["schema"] == error_ref, (method, path, status)
    assert missing == []
    assert "ErrorBody" not in schema["components"]["schemas"]


def test_the_error_schema_is_what_user_error_as_dict_gives():
    from tinhso.core.errors import UserError

    component = api.get_openapi_schema()["components"]["schemas"]["ApiError"]
    full = UserError("c", "vi", "en", field="f", details={"x": 1}).as_dict()
    bare = UserError("c", "vi", "en").as_dict()
    assert set(component["properties"]) == set(full)
    assert set(component["required"]) == set(bare)


def test_an_unauthenticated_staff_call_answers_in_the_house_shape():
    response = Client().get("/api/v1/reports/queue")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_session_post_without_csrf_token_answers_in_the_house_shape(django_user_model):
    client = Client(enforce_csrf_checks=True)
    client.force_login(django_user_model.objects.create_user("ops-csrf", password="x" * 12))
    response = client.post("/api/v1/reports/staff/PA-1/verify", {}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"


def test_the_api_docs_page_loads_nothing_from_another_host():
    client = Client()
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    external = re.findall(r"""(?:src|href)=["']((?:https?:)?//[^"']+)""", html)
    assert external == []
    assets = re.findall(r"""(?:src|href)=["'](/static/[^"']+)""", html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert body, asset
