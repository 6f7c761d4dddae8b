"""The access log never carries query strings or Referers (they hold the citizen's secret, API keys)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from gunicorn.config import Config
from gunicorn.glogging import Logger

from tinhso.core.serve import ACCESS_LOG_FORMAT

SECRET = "Zk3-secret-Qw9"


def test_access_line_has_the_path_but_no_secret():
    config = Config()
    logger = Logger(config)
    environ = {
        "REQUEST_METHOD": "GET", "RAW_URI": f"/phan-anh/PA-ABCDE-12345?k={SECRET}",
        "PATH_INFO": "/phan-anh/PA-ABCDE-12345", "QUERY_STRING": f"k={SECRET}", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9", "HTTP_REFERER": f"https://ioc.example/phan-anh/PA-ABCDE-12345?k={SECRET}",
        "HTTP_USER_AGENT": "phone",
    }
    response = SimpleNamespace(status="200 OK", sent=512, headers=[])
    atoms = logger.atoms(response, SimpleNamespace(headers=[]), environ, dt.timedelta(milliseconds=12))
    line = ACCESS_LOG_FORMAT % atoms
    assert "GET /phan-anh/PA-ABCDE-12345 HTTP/1.1" in line and "203.0.113.9" in line and " 200 " in line
    assert SECRET not in line
    # Gunicorn's own default would have logged it (what this format replaces).
    assert SECRET in Config().access_log_format % atoms
