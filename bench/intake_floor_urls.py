"""URLs of the intake floor: ``POST /bench/floor`` (one form, one INSERT), then tinhso's own URLs.

The floor is the cheapest useful write through the same gunicorn, Django and middleware stack:
parse a form-encoded body, INSERT one row (autocommit: one statement), answer a small JSON body
with status 201. The table ``bench_floor`` is created by the benchmark before the server starts.
"""

import json

from django.db import connection
from django.http import HttpResponse
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

TABLE = "bench_floor"


@csrf_exempt
def floor(request):
    form = request.POST
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} (service_code, description, lat, lon, created_at) "
                       "VALUES (%s, %s, %s, %s, %s) RETURNING id",
                       [form.get("service_code", ""), form.get("description", ""), float(form.get("lat") or 0),
                        float(form.get("long") or 0), timezone.now()])
        (row_id,) = cursor.fetchone()
    return HttpResponse(json.dumps([{"service_request_id": row_id}]), status=201,
                        content_type="application/json; charset=utf-8")


def create_table() -> None:
    """The floor's table (in the benchmark's fresh database)."""
    key = "id bigserial PRIMARY KEY" if connection.vendor == "postgresql" else "id integer PRIMARY KEY AUTOINCREMENT"
    stamp = "timestamptz" if connection.vendor == "postgresql" else "datetime"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {TABLE} ({key}, service_code varchar(40) NOT NULL, description text NOT NULL, "
                       f"lat double precision NOT NULL, lon double precision NOT NULL, created_at {stamp} NOT NULL)")


urlpatterns = [path("bench/floor", floor), path("", include("tinhso.urls"))]
