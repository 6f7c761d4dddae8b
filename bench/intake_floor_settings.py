"""Settings of the intake floor (``bench/open311_intake.py``): tinhso's own settings and middleware,
plus one extra URL, ``POST /bench/floor``, that reads the form and INSERTs one row.

Used only by the benchmark's server (``DJANGO_SETTINGS_MODULE=intake_floor_settings`` with ``bench/``
on the path); never part of the product.
"""

from tinhso.settings import *  # noqa: F403

ROOT_URLCONF = "intake_floor_urls"
