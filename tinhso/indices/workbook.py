"""The results workbook: laid out like the ministry's ranking reports (a ranking sheet with each main
index's value and rank, a pillar sheet, every node in long form, the change over periods and the
method itself), in Vietnamese with English subtitles.
"""

from __future__ import annotations

import datetime as dt

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from tinhso.core import cellsafe
from tinhso.indices.results import Computation, clean

HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_FONT = Font(bold=True, color="FFFFFF")
THIN = Side(style="thin", color="BFBFBF")
STATUS_VI = {"official": "chính thức", "verified": "đã kiểm chứng", "inferred": "suy luận",
             "third_party": "bên thứ ba", "user": "người dùng"}


def _number_format(decimals: int) -> str:
    return "0." + "0" * decimals if decimals > 0 else "0"


def _header(ws, row: int, titles: list[str]) -> None:
    for col, title in enumerate(titles, start=1):
        cell = ws.cell(row=row, column=col, value=title)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(top=THIN, bottom=THIN, left=THIN, right=THIN)
    ws.row_dimensions[row].height = 45


def _widths(ws, widths: list[int]) -> None:
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width


def _title(ws, lines: list[str]) -> int:
    for i, line in enumerate(lines, start=1):
        ws.cell(row=i, column=1, value=line).font = Font(bold=(i == 1), size=14 if i == 1 else 10)
    return len(lines) + 2


def _ranking_sheet(ws, comp: Computation, period: str | None, nodes: list[str], title_vi: str, title_en: str) -> None:
    method = comp.method
    result = comp.period(period)
    before = comp.previous(result.period)
    start = _title(ws, [f"{title_vi} — {method.title_vi} — {result.period}",
                        f"{title_en} — {method.title_en} — {result.period}",
                        f"{method.legal_basis}. Tính bằng tinhso ngày {dt.date.today():%d/%m/%Y} / computed with tinhso."])
    titles = ["STT\n#", "Đơn vị\nUnit"]
    head_nodes = [method.score] + [c for c in nodes if c != method.score]
    for code in head_nodes:
        node = method.nodes[code]
        titles += [f"{node.name_vi}\n{node.name_en}", "Xếp hạng\nRank"]
    if before:
        titles += [f"Thay đổi hạng so với {before.period}\nRank change"]
    _header(ws, start, titles)
    ranks_col = result.column(method.score)
    order = sorted(range(len(result.units)), key=lambda i: (result.ranks[i, ranks_col], result.units[i]))
    prev_rows = {u: i for i, u in enumerate(before.units)} if before else {}
    for n, i in enumerate(order, start=1):
        unit = result.units[i]
        row = [n, comp.unit_names.get(unit, unit)]
        for code in head_nodes:
            j = result.column(code)
            row += [clean(result.values[i, j]), int(result.ranks[i, j]) or None]
        if before:
            p = prev_rows.get(unit)
            row.append(int(before.ranks[p, ranks_col]) - int(result.ranks[i, ranks_col]) if p is not None else None)
        ws.append(row)
        r = ws.max_row
        for k, code in enumerate(head_nodes):
            ws.cell(row=r, column=3 + 2 * k).number_format = _number_format(method.node_decimals(code))
        if before:
            ws.cell(row=r, column=len(row)).number_format = "+0;-0;0"
    ws.freeze_panes = ws.cell(row=start + 1, column=3)
    _widths(ws, [6, 30] + [14, 9] * len(head_nodes) + [12])


def _long_sheet(ws, comp: Computation) -> None:
    method = comp.method
    _header(ws, 1, ["Kỳ\nPeriod", "Đơn vị\nUnit", "Mã\nCode", "Chỉ số\nIndicator", "Giá trị\nValue",
                    "Điểm\nPoints", "Xếp hạng\nRank", "Số liệu nhập\nGiven", "Nguồn phương pháp\nStatus"])
    for period, result in comp.periods.items():
        for i, unit in enumerate(result.units):
            for code in method.order:
                j = result.column(code)
                node = method.nodes[code]
                value = clean(result.values[i, j])
                if value is None:
                    continue
                points = clean(result.values[i, j] * node.max) if node.unit == "share" and node.max else None
                ws.append([period, comp.unit_names.get(unit, unit), code, node.name_vi, value, points,
                           int(result.ranks[i, j]) or None, clean(result.given[i, j]), STATUS_VI[node.status]])
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    _widths(ws, [8, 28, 18, 40, 12, 10, 9, 12, 16])


def _change_sheet(ws, comp: Computation) -> None:
    method = comp.method
    periods = list(comp.periods)
    _header(ws, 1, ["Đơn vị\nUnit"] + [f"{method.score} {p}" for p in periods] + [f"Hạng {p}\nRank {p}" for p in periods])
    units = list(dict.fromkeys(u for r in comp.periods.values() for u in r.units))
    for unit in units:
        values, ranks = [], []
        for result in comp.periods.values():
            if unit in result.units:
                i, j = result.units.index(unit), result.column(method.score)
                values.append(clean(result.values[i, j]))
                ranks.append(int(result.ranks[i, j]))
            else:
                values.append(None)
                ranks.append(None)
        ws.append([comp.unit_names.get(unit, unit), *values, *ranks])
        for k in range(len(periods)):
            ws.cell(row=ws.max_row, column=2 + k).number_format = _number_format(method.decimals)
    ws.freeze_panes = "B2"
    _widths(ws, [30] + [12] * (2 * len(periods)))


def _method_sheet(ws, comp: Computation) -> None:
    method = comp.method
    start = _title(ws, [method.title_vi, method.title_en, method.legal_basis, method.used_for,
                        method.notes_vi, method.notes_en, "Nguồn / sources: " + "; ".join(method.sources)])
    _header(ws, start, ["Mã\nCode", "Chỉ số\nIndicator", "English", "Điểm tối đa\nMax points", "Trọng số\nWeight",
                        "Cách tính\nAggregation / rule", "Nguồn phương pháp\nStatus", "Ghi chú\nNote"])
    tree = method.score_tree()
    depth: dict[str, int] = {method.score: 0}
    for code in tree:
        for child in method.nodes[code].children:
            depth.setdefault(child, depth[code] + 1)
    extra = [c for c in method.nodes if c not in tree]
    for code in tree + extra:
        node = method.nodes[code]
        how = node.aggregate or node.rule.kind
        if node.rule.kind == "threshold":
            how += f" (ngưỡng / target {node.rule.target:g})"
        ws.append([code, "  " * depth.get(code, 0) + node.name_vi, node.name_en, node.max, node.weight,
                   how if node.role != "view" else f"{how}: {' + '.join(node.children)}", STATUS_VI[node.status],
                   node.note_vi])
    _widths(ws, [18, 48, 40, 12, 10, 30, 16, 60])


def results_workbook(comp: Computation, period: str | None = None) -> bytes:
    """The .xlsx bytes of a computation (ranking of ``period``, default the latest)."""
    method = comp.method
    wb = Workbook()
    ws = wb.active
    ws.title = "Xếp hạng"
    mains = [n.code for n in method.main_nodes()]
    _ranking_sheet(ws, comp, period, mains, "BÁO CÁO XẾP HẠNG", "RANKING REPORT")
    views = [c for c, n in method.nodes.items() if n.role == "view"]
    if views:
        _ranking_sheet(wb.create_sheet("Trụ cột"), comp, period, views, "XẾP HẠNG THEO TRỤ CỘT", "RANKING BY PILLAR")
    if len(comp.periods) > 1:
        _change_sheet(wb.create_sheet("Qua các kỳ"), comp)
    _long_sheet(wb.create_sheet("Chi tiết"), comp)
    _method_sheet(wb.create_sheet("Phương pháp"), comp)
    return cellsafe.workbook_bytes(wb)
