"""Published figures used to check the calculators, with their sources (research/indices.md §1.3, 1.4, 2.1).

Kept in test code (the product ships only small cited samples in tinhso/indices/examples).
"""

import csv
import io

DTI_922_MAINS = ["awareness", "institutions", "infrastructure", "human_resources", "cybersecurity",
                 "gov_activity", "econ_activity", "society_activity"]

# https://dti.gov.vn/xep-hang-2022 — eight main-index values and the published DTI.
DTI_2022 = {
    "TP. Đà Nẵng": ([1.0000, 0.9000, 0.8253, 0.8487, 0.7578, 0.8575, 0.7836, 0.5197], 0.8002),
    "TP. Hồ Chí Minh": ([0.8917, 0.9000, 0.8258, 0.6267, 0.5580, 0.8406, 0.7611, 0.3590], 0.7163),
    "Quảng Ninh": ([0.9581, 0.9000, 0.7648, 0.6250, 0.5382, 0.8385, 0.5904, 0.4505], 0.7024),
}

# DTI 2020 (1726): pillar values and the published DTI (dataset card letrinhan/vn-dti-provincial; news).
DTI_2020 = {"TP. Đà Nẵng": ([0.5346, 0.4155, 0.4964], 0.4874), "Bắc Ninh": ([0.4449, 0.3668, 0.4052], 0.4096)}

PCI_SUBS = ["entry_costs", "land_access", "transparency", "time_costs", "informal_charges", "fair_competition",
            "proactivity", "business_support", "labor_training", "legal_institutions"]
# https://www.pcivietnam.vn/bang-chi-so-cac-tinh-thanh-viet-nam — PCI 2020 sub-indices and published PCI.
PCI_2020 = {
    "Quảng Ninh": ([7.98, 7.39, 6.31, 8.52, 7.85, 6.96, 7.74, 7.39, 7.27, 7.91], 73.02),
    "Hải Phòng": ([6.52, 6.77, 6.82, 7.64, 6.70, 6.02, 7.73, 7.49, 7.17, 7.21], 70.61),
    "Đồng Tháp": ([7.73, 7.26, 6.94, 8.35, 8.11, 6.96, 7.27, 6.53, 6.42, 7.68], 70.53),
    "Đà Nẵng": ([6.94, 7.51, 6.30, 7.46, 7.29, 5.92, 7.01, 7.57, 7.15, 7.33], 70.42),
    "Vĩnh Phúc": ([7.02, 7.56, 5.63, 8.46, 8.05, 7.07, 7.20, 7.11, 6.81, 7.78], 69.69),
    "Bình Dương": ([6.38, 7.21, 6.98, 8.01, 7.06, 6.36, 6.74, 7.64, 6.37, 6.47], 69.61),
    "Hà Nội": ([6.57, 6.60, 5.21, 8.45, 7.15, 5.38, 6.92, 7.74, 7.64, 6.60], 68.60),
    "TP.HCM": ([6.16, 6.98, 5.45, 7.58, 6.38, 6.09, 6.22, 8.54, 6.71, 6.39], 67.50),
}


def records(table: dict, codes: list[str], period: str) -> list[dict]:
    return [{"unit": unit, "period": period, "indicator": code, "value": value}
            for unit, (values, _) in table.items() for code, value in zip(codes, values)]


def as_csv(rows: list[dict]) -> bytes:
    """Tidy records as the bytes of a UTF-8 CSV upload."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")
