"""The licence page and the archive of the running code (AGPL-3.0 section 13)."""

from __future__ import annotations

import hashlib
import io
import tarfile

import pytest

from tinhso.web import source

pytestmark = pytest.mark.django_db


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    source._built.clear()
    yield tmp_path
    source._built.clear()


def test_licence_file_is_the_full_agpl_text():
    text = source.licence_text()
    assert text.lstrip().startswith("GNU AFFERO GENERAL PUBLIC LICENSE")
    assert "Version 3, 19 November 2007" in text
    assert "13. Remote Network Interaction; Use with the GNU General Public License." in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_every_page_links_to_the_licence(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert 'href="/giay-phep"' in html


@pytest.mark.parametrize("lang, heading, download", [
    ("vi", "Giấy phép và mã nguồn", "Tải mã nguồn máy chủ này đang chạy"),
    ("en", "Licence and source code", "Download the source this server is running"),
])
def test_licence_page_in_each_language(client, settings, lang, heading, download):
    settings.SOURCE_URL = ""
    client.cookies["django_language"] = lang
    response = client.get("/giay-phep")
    html = response.content.decode()
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in html and download in html
    assert "END OF TERMS AND CONDITIONS" in html
    assert "Kho mã nguồn" not in html and "source repository published" not in html


def test_licence_page_links_the_operators_repository(client, settings):
    settings.SOURCE_URL = "https://git.example.gov.vn/ioc/tinhso"
    html = client.get("/giay-phep").content.decode()
    assert 'href="https://git.example.gov.vn/ioc/tinhso"' in html


def test_source_archive_holds_the_running_code(client, var_dir):
    response = client.get("/giay-phep/ma-nguon.tar.gz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/gzip"
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as tar:
        names = tar.getnames()
        prefix = f"tinhso-{source.version()}/"
        assert all(n.startswith(prefix) for n in names)
        assert prefix + "LICENSE" in names and prefix + "pyproject.toml" in names
        member = tar.extractfile(prefix + "tinhso/web/source.py").read()
    assert member == source.PACKAGE_DIR.joinpath("web", "source.py").read_bytes()
    assert not any("__pycache__" in n or n.endswith(".pyc") or "node_modules" in n for n in names)
    assert not any(n.startswith(prefix + "var/") for n in names)


def test_archive_is_built_once_and_reproducible(var_dir):
    first = source.archive()
    digest = hashlib.sha256(first.read_bytes()).hexdigest()
    assert source.archive() == first
    source._built.clear()
    first.unlink()
    again = source.archive()
    assert hashlib.sha256(again.read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in (var_dir / "source").iterdir()) == [again.name]


def test_secrets_left_in_the_tree_are_not_archived(tmp_path, monkeypatch):
    pkg = tmp_path / "tinhso"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "code.py").write_text("x = 1\n")
    for name in (".env", "prod.env.local", "db.sqlite3", "tls.key", "secret_key", "cert.pem"):
        (pkg / "sub" / name).write_text("secret")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "tinhso"\n')
    (tmp_path / "LICENSE").write_text("GNU AFFERO GENERAL PUBLIC LICENSE\n")
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "tinhso.sqlite3").write_text("data")
    monkeypatch.setattr(source, "PACKAGE_DIR", pkg)
    names = [f.name.split("/", 1)[1] for f in source.source_files()]
    assert names == ["LICENSE", "pyproject.toml", "tinhso/__init__.py", "tinhso/sub/code.py"]


def test_source_archive_is_rate_limited(client, var_dir):
    statuses = [client.get("/giay-phep/ma-nguon.tar.gz").status_code for _ in range(12)]
    assert statuses[:10] == [200] * 10
    assert statuses[10:] == [429, 429]
