"""The indices upload's error in the reader's language only, with its code (issue 12)."""

from __future__ import annotations

import pytest

from tests.indices.published import as_csv
from tests.indices.test_pages import _isolated, rows, upload  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_upload_error_in_one_language(client, rows, lang):  # noqa: F811
    rows[1]["indicator"] = "no_such_index"
    client.cookies["django_language"] = lang
    response = upload(client, as_csv(rows), period="2023")
    assert response.status_code == 400
    page = response.content.decode()

    error = page.split('id="ix-error"', 1)[1].split("</div>", 1)[0]
    assert "<code>[" in error
    head = error.split("<table", 1)[0]
    assert head.count('<p class="error">') == 1 and 'class="muted"' not in head
