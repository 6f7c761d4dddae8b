"""The merged-province rule: mean of the former provinces' main-index values, then ranked anew."""

from __future__ import annotations

import numpy as np
import pytest

from tinhso.core.errors import UserError
from tinhso.indices import dataset, merge, methodology, results

DTI = methodology.load_method("dti-922")
MAINS = [n.code for n in DTI.main_nodes()]


def _rows(values: dict[str, float], period: str = "2024") -> list[dict]:
    return [{"unit": unit, "period": period, "indicator": c, "value": v + 0.01 * k}
            for unit, v in values.items() for k, c in enumerate(MAINS)]


def test_merged_unit_is_the_mean_of_its_members_main_indices():
    data = dataset.from_records(DTI, _rows({"60": 0.5, "67": 0.7, "68": 0.6, "01": 0.8}))
    merged = merge.merge_dataset(data, {"68": ["60", "67", "68"]})
    comp = results.compute(merged)
    result = comp.period()
    assert sorted(result.units) == ["01", "68"]
    for k, code in enumerate(MAINS):
        assert result.value("68", code) == pytest.approx(0.6 + 0.01 * k)
    # the score is recomputed from the merged main indices, not averaged
    weights = np.array([DTI.nodes[c].max for c in MAINS]) / 1000
    expected = np.array([0.6 + 0.01 * k for k in range(len(MAINS))]) @ weights
    assert result.value("68", "dti") == pytest.approx(expected)
    assert result.ranks[result.units.index("01"), result.column("dti")] == 1


def test_a_group_missing_a_member_is_an_error_naming_it():
    data = dataset.from_records(DTI, _rows({"60": 0.5, "68": 0.6}))
    with pytest.raises(UserError) as err:
        merge.merge_dataset(data, {"68": ["60", "67", "68"]})
    assert err.value.details == [{"period": "2024", "unit": "68", "missing_members": ["67"]}]


def test_groups_file_is_read_and_a_unit_in_two_groups_is_refused():
    groups = merge.read_groups(b"new_unit,old_unit\n68,60\n68,67\n68,68\n", "g.csv")
    assert groups == {"68": ["60", "67", "68"]}
    with pytest.raises(UserError) as err:
        merge.read_groups(b"68,60\n56,60\n", "g.csv")
    assert err.value.details[0]["row"] == 2


@pytest.mark.django_db
def test_the_registry_gives_the_2025_province_groups_and_names_resolve():
    groups, names = merge.province_groups_2025()
    assert len(groups) == 34 and sum(len(v) for v in groups.values()) == 63
    assert groups["68"] == ["60", "67", "68"]
    assert "Lâm Đồng" in names["68"]
    codes = merge.legacy_province_codes(["Bình Thuận", "TP. Đà Nẵng", "Tỉnh Đắk Nông", "tp hcm", "Atlantis"])
    assert codes == {"Bình Thuận": "60", "TP. Đà Nẵng": "48", "Tỉnh Đắk Nông": "67", "tp hcm": "79"}


@pytest.mark.django_db
def test_merging_by_names_with_the_registry_groups():
    data = dataset.from_records(DTI, _rows({"Bình Thuận": 0.5, "Đắk Nông": 0.7, "Lâm Đồng": 0.6}))
    result = results.compute(merge.merge_provinces_2025(data)).period()
    assert result.units == ["68"]
    assert result.value("68", "awareness") == pytest.approx(0.6)
