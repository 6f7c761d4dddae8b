"""``tinhso index …`` from the command line: JSON shape, workbook, errors with exit code 2."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.indices.published import DTI_922_MAINS, DTI_2022, PCI_2020, PCI_SUBS, records
from tinhso import cli
from tinhso.indices import synthetic

EXAMPLES = Path(cli.__file__).resolve().parent / "indices" / "examples"


def _write(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["unit", "period", "indicator", "value"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_compute_json_has_the_documented_shape(tmp_path, capsys):
    path = _write(tmp_path / "dti.csv", records(DTI_2022, DTI_922_MAINS, "2022"))
    code, out, _ = _run(capsys, "index", "compute", "--method", "dti-922", "--input", str(path), "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["method"] == "dti-922" and doc["period"] == "2022"
    first = doc["units"][0]
    assert set(first) >= {"unit", "score", "rank", "nodes"}
    assert first["unit"] == "TP. Đà Nẵng" and first["rank"] == 1 and abs(first["score"] - 0.8002) <= 0.0001
    assert set(first["nodes"]["econ_activity"]) >= {"value", "rank"}
    assert first["nodes"]["pillar_gov"]["rank"] == 1


def test_pci_is_on_its_0_to_100_scale(tmp_path, capsys):
    path = _write(tmp_path / "pci.csv", records(PCI_2020, PCI_SUBS, "2020"))
    code, out, _ = _run(capsys, "index", "compute", "--method", "pci-2013", "--input", str(path), "--json")
    doc = json.loads(out)
    assert code == 0 and 73.0 <= doc["units"][0]["score"] <= 73.05


def test_year_on_year_change_and_the_xlsx(tmp_path, capsys):
    path = _write(tmp_path / "syn.csv", synthetic.dti_rows(63, ("2022", "2023")))
    out_xlsx = tmp_path / "out.xlsx"
    code, out, _ = _run(capsys, "index", "compute", "--method", "dti-922", "--input", str(path), "--json",
                        "--xlsx", str(out_xlsx))
    doc = json.loads(out)
    assert code == 0 and doc["period"] == "2023" and doc["previous_period"] == "2022"
    moved = [u for u in doc["units"] if u["change"]["rank"]]
    assert moved, "synthetic drift should move some ranks"
    for u in doc["units"]:
        assert u["change"]["previous_period"] == "2022"
    wb = load_workbook(io.BytesIO(out_xlsx.read_bytes()), read_only=True)
    assert wb.sheetnames[:3] == ["Xếp hạng", "Trụ cột", "Qua các kỳ"]
    rows = list(wb["Xếp hạng"].iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(rows) if r[0] and str(r[0]).startswith("STT"))
    first = rows[header_at + 1]
    assert first[0] == 1 and first[1] == doc["units"][0]["unit"] and first[3] == 1
    assert first[2] == pytest.approx(doc["units"][0]["score"])


def test_bad_rows_exit_2_and_list_every_problem(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("unit,period,indicator,value\nA,2022,awareness,2\nA,2022,nothing,0.5\n", encoding="utf-8")
    code, out, err = _run(capsys, "index", "compute", "--method", "dti-922", "--input", str(path))
    assert code == 2 and out == ""
    assert "row 2, value" in err and "row 3, indicator" in err


def test_missing_indicators_and_unknown_method(tmp_path, capsys):
    path = _write(tmp_path / "part.csv", [{"unit": "A", "period": "2022", "indicator": "awareness", "value": 0.5}])
    code, _, err = _run(capsys, "index", "compute", "--method", "dti-922", "--input", str(path))
    assert code == 2 and "institutions" in err and "A (2022)" in err
    code, _, err = _run(capsys, "index", "compute", "--method", "dti-2099", "--input", str(path))
    assert code == 2 and "dti-922" in err


def test_methods_and_show(capsys):
    code, out, _ = _run(capsys, "index", "methods", "--json")
    assert code == 0 and {m["code"] for m in json.loads(out)} >= {"dti-922", "dti-1726", "pci-2013", "svc-766"}
    code, out, _ = _run(capsys, "index", "show", "svc-766")
    assert code == 0 and "Mức độ hài lòng" in out and "third_party" in out


@pytest.mark.django_db
def test_merge_provinces_2025_from_the_registry(tmp_path, capsys):
    groups = {"68": (["60", "67", "68"], [0.5, 0.7, 0.6]), "01": (["01"], [0.8])}
    rows = [{"unit": old, "period": "2024", "indicator": c, "value": v}
            for olds, values in groups.values() for old, v in zip(olds, values) for c in DTI_922_MAINS]
    path = _write(tmp_path / "old.csv", rows)
    code, out, _ = _run(capsys, "index", "compute", "--method", "dti-922", "--input", str(path), "--json",
                        "--merge-provinces-2025")
    doc = json.loads(out)
    assert code == 0 and [u["unit"] for u in doc["units"]] == ["01", "68"]
    assert doc["units"][1]["score"] == pytest.approx(0.6) and "Lâm Đồng" in doc["units"][1]["name"]


def test_shipped_examples_carry_the_published_figures_and_the_synthetic_ones_regenerate(tmp_path):
    with (EXAMPLES / "dti-2022-published-sample.csv").open(encoding="utf-8") as fh:
        shipped = {(r["unit"], r["indicator"]): float(r["value"]) for r in csv.DictReader(fh)}
    assert shipped == {(u, c): v for u, (vals, _) in DTI_2022.items() for c, v in zip(DTI_922_MAINS, vals)}
    synthetic.write_examples(tmp_path)
    for name in synthetic.EXAMPLES:
        assert (tmp_path / name).read_bytes() == (EXAMPLES / name).read_bytes(), name
