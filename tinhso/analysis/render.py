"""From a report's JSON to what a reader sees: the text (templates), the charts, and the three files.

:func:`document` turns the language-independent data into a language's document model (titles,
sentences, tables, charts); :func:`html`, :func:`docx` and :func:`pdf` lay that model out. None of
them reads a clock or the database: the same data gives byte-identical HTML and the same text in
the Word and PDF files.
"""

from __future__ import annotations

import base64
import functools
import io
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from tinhso.analysis import charts, links, text

TEMPLATES = Path(__file__).parent / "templates" / "analysis"
FONT = "DejaVu Sans"

LABELS = {
    "vi": {
        "title": "Báo cáo phân tích hằng tháng", "province": "Toàn tỉnh", "reports": "Phản ánh hiện trường",
        "dossiers": "Thủ tục hành chính (Quyết định 766)", "plan": "Chỉ tiêu kế hoạch",
        "recommendations": "Khuyến nghị", "figure": "Chỉ số", "value": "Tháng này", "previous": "Tháng trước",
        "year_ago": "Cùng kỳ năm trước", "no_data": "không có số liệu",
        "no_reports": "Không có phản ánh nào trong phạm vi này trong tháng.",
        "no_dossiers": "Không có số liệu hồ sơ thủ tục hành chính cho phạm vi này trong tháng.",
        "no_plan": "Không có chỉ tiêu kế hoạch nào thuộc phạm vi này.",
        "no_findings": "Không có phát hiện nào vượt ngưỡng của các quy tắc phân tích trong tháng.",
        "synthetic": "DỮ LIỆU MẪU (tổng hợp): báo cáo này được tính từ dữ liệu giả lập để minh họa, không phải số liệu thật.",
        "unit": "Đơn vị chịu trách nhiệm", "action": "Đề xuất", "evidence": "Bằng chứng", "rule": "Quy tắc",
        "context": "Tham khảo (số liệu tính theo cách khác)", "more_records": "và {n} phản ánh khác",
        "confidence": "Độ tin cậy", "chart_reports": "Phản ánh tiếp nhận và tỷ lệ đúng hạn theo tháng",
        "count_label": "Phản ánh", "rate_label": "Đúng hạn (%)", "expected": "Kỳ vọng", "observed": "Thực tế",
        "method": "Cách tính: số liệu từ dữ liệu của hệ thống tại thời điểm lập báo cáo; câu chữ sinh từ mẫu cố định "
                  "nên cùng số liệu cho cùng nội dung.",
        "table": "Bảng số liệu",
    },
    "en": {
        "title": "Monthly analysis", "province": "Whole province", "reports": "Field reports",
        "dossiers": "Administrative procedures (Decision 766)", "plan": "Plan indicators",
        "recommendations": "Recommendations", "figure": "Figure", "value": "This month", "previous": "Last month",
        "year_ago": "Same month last year", "no_data": "no data",
        "no_reports": "No field reports in this scope during the month.",
        "no_dossiers": "No dossier figures for this scope during the month.",
        "no_plan": "No plan indicator belongs to this scope.",
        "no_findings": "No finding passed the analysis rules' thresholds this month.",
        "synthetic": "SYNTHETIC DATA: this report was computed from generated demonstration data, not real figures.",
        "unit": "Responsible unit", "action": "Recommended action", "evidence": "Evidence", "rule": "Rule",
        "context": "See also (figures counted otherwise)", "more_records": "and {n} more reports",
        "confidence": "Confidence", "chart_reports": "Reports received and on-time rate per month",
        "count_label": "Reports", "rate_label": "On time (%)", "expected": "Expected", "observed": "Observed",
        "method": "Method: figures from the system's data when the report was made; sentences come from fixed "
                  "templates, so the same figures always give the same text.",
        "table": "Figures",
    },
}


def _value_text(kind_tpl: dict, lang: str, value) -> str:
    return text.render(kind_tpl[f"value_{lang}"], lang, value=value) if value is not None else LABELS[lang]["no_data"]


def item_sentence(item: dict, lang: str) -> dict:
    """One headline figure: its label, sentence (with comparisons) and table cells."""
    spec = text.headline_templates()
    entry = spec["items"][item["key"]]
    kind = spec["kinds"][entry["type"]]
    label = entry[f"label_{lang}"]
    cells = [_value_text(kind, lang, item.get(k)) for k in ("value", "previous", "year_ago")]
    if item.get("value") is None:
        return {"label": label, "sentence": text.render(spec["missing"][lang], lang, label=label), "cells": cells}
    context = {k: v for k, v in item.items() if k != "key"}
    main = text.render(entry[f"sentence_{lang}"], lang, **context)
    clauses = []
    for when, change_key in (("previous", "change"), ("year", "change_year")):
        if item.get(change_key) is None:
            continue
        clauses.append(text.render(
            spec["compare"][f"{when}_{lang}"], lang,
            change_text=text.render(kind[f"change_{lang}"], lang, change=item[change_key]),
            previous_text=_value_text(kind, lang, item.get("previous")),
            year_ago_text=_value_text(kind, lang, item.get("year_ago"))))
    tail = "; ".join(clauses) if clauses else spec["compare"][f"none_{lang}"]
    return {"label": label, "sentence": f"{main} ({tail}).", "cells": cells}


def _img(data: bytes, mime: str = "image/svg+xml") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _link_view(item: dict, lang: str, link: links.LinkFn) -> dict:
    """An evidence link: its label (a record's starts with its code, kept on one line), and its URL."""
    label = item[f"label_{lang}"]
    code = links.record_code(item["url"]) or ""
    if not label.startswith(code):
        code = ""
    return {"label": label, "code": code, "rest": label[len(code):], "url": link(item["url"])}


def finding_view(finding: dict, lang: str, *, chart_format: str = "svg", link: links.LinkFn = links.for_files) -> dict:
    words = text.finding_text(finding, lang)
    series = finding.get("series")
    chart = None
    if series and series.get("x"):
        chart = charts.series(series["x"], series["observed"], title=series[f"title_{lang}"],
                              expected=series.get("expected"), lower=series.get("lower"), upper=series.get("upper"),
                              observed_label=LABELS[lang]["observed"], expected_label=LABELS[lang]["expected"],
                              fmt=chart_format)
    return {
        "kind": finding["kind"], "unit_name": text.unit_name(finding, lang), "unit_code": finding["unit_code"],
        "finding": words["finding"], "action": words["action"], "rule": words["rule"],
        "confidence": text.pct(finding["confidence"], lang, 0),
        # Evidence: the records counted (and pages showing the same figure); context: pages counting otherwise.
        "links": [_link_view(item, lang, link) for item in finding.get("links") or [] if not item.get("context")],
        "more": (LABELS[lang]["more_records"].format(n=text.num(finding["more_records"], lang))
                 if finding.get("more_records") else ""),
        "context": [{"label": item[f"label_{lang}"], "url": link(item["url"])} for item in finding.get("links") or []
                    if item.get("context")],
        "chart": chart, "chart_title": series[f"title_{lang}"] if chart else "",
    }


def _plan_change(template: str, change: dict, lang: str, status) -> str:
    return text.render(template, lang, code=change["code"], name=change["name"] if lang == "vi" else change["name_en"],
                       before=status(change["before"]), after=status(change["status"]))


def document(data: dict, lang: str, *, chart_format: str = "svg", link: links.LinkFn = links.for_files) -> dict:
    """The report in ``lang``: every sentence from the templates, every chart drawn from the data;
    ``link`` turns an evidence link into the URL shown (:mod:`tinhso.analysis.links`; None: no link)."""
    text.check_lang(lang)
    words = LABELS[lang]
    head = data["headline"]
    scope = head["scope"]
    name = scope["name"] if lang == "vi" else (scope.get("name_en") or scope["name"])
    month_text = text.month(head["month"], lang)
    reports = head["reports"]
    report_items = [item_sentence(i, lang) for i in reports["items"]]
    series = reports.get("series") or {}
    chart = None
    if reports["available"] and series.get("months"):
        chart = charts.bars_and_rate(series["months"], series["received"], series["on_time_rate"],
                                     title=words["chart_reports"], count_label=words["count_label"],
                                     rate_label=words["rate_label"], fmt=chart_format)
    dossiers = head["dossiers"]
    plan = head["plan"]
    spec = text.headline_templates()["plan"]
    labels = plan.get("labels") or {}

    def status(code):
        return (labels.get(code) or {}).get(lang, code)

    if not plan["available"]:
        plan_sentences = [words["no_plan"]]
    elif not plan["compared"]:
        plan_sentences = [text.render(spec[f"first_{lang}"], lang, count=len(plan["statuses"]))]
    elif not plan["changed"]:
        plan_sentences = [text.render(spec[f"none_{lang}"], lang)]
    else:
        plan_sentences = [_plan_change(spec[f"changed_{lang}"], c, lang, status) for c in plan["changed"]]
    if plan.get("changed_year"):
        plan_sentences.append(text.render(spec[f"year_{lang}"], lang, count=len(plan["changed_year"])))
        plan_sentences += [_plan_change(spec[f"changed_{lang}"], c, lang, status) for c in plan["changed_year"]]
    findings = sorted(data.get("findings") or [], key=lambda f: (-f["severity"], f["kind"], f["unit_code"]))
    synthetic = bool(data.get("synthetic"))
    return {
        "lang": lang, "words": words, "font": FONT,
        "title": f"{words['title']} — {month_text}", "scope_name": name, "month": month_text,
        "scope_kind": scope["kind"], "synthetic": synthetic,
        "reports": {"available": reports["available"], "items": report_items, "chart": chart},
        "dossiers": {"available": dossiers["available"],
                     "items": [item_sentence(i, lang) for i in dossiers["items"]]},
        "plan": {"sentences": plan_sentences},
        "findings": [finding_view(f, lang, chart_format=chart_format, link=link) for f in findings],
    }


@functools.lru_cache(maxsize=1)
def _jinja() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["j2", "html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["img"] = _img
    return env


def html(data: dict, lang: str, *, standalone: bool = True, link: links.LinkFn = links.for_files) -> str:
    """The report as HTML: a whole document (``standalone``, for the file and the PDF) or the body
    fragment shown inside the site's page (with the reader's ``link``, :func:`links.for_page`)."""
    doc = document(data, lang, link=link)
    return _jinja().get_template("document.html.j2").render(doc=doc, standalone=standalone)


def pdf(data: dict, lang: str) -> bytes:
    """The standalone HTML laid out by WeasyPrint (Debian's pango; DejaVu fonts for Vietnamese)."""
    from weasyprint import HTML

    return HTML(string=html(data, lang), base_url=str(TEMPLATES)).write_pdf()


def docx(data: dict, lang: str) -> bytes:
    """A Word file (officials edit them) with the same text and PNG charts."""
    from docx import Document
    from docx.shared import Cm, Pt

    doc = document(data, lang, chart_format="png")
    words = doc["words"]
    out = Document()
    style = out.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(10.5)
    core = out.core_properties
    core.title, core.author, core.comments = doc["title"], "tinhso", ""
    out.add_heading(doc["title"], level=0)
    out.add_paragraph(doc["scope_name"])
    if doc["synthetic"]:
        para = out.add_paragraph()
        para.add_run(words["synthetic"]).bold = True

    def table(items):
        rows = out.add_table(rows=1, cols=4)
        rows.style = "Table Grid"
        for cell, head in zip(rows.rows[0].cells, (words["figure"], words["value"], words["previous"], words["year_ago"])):
            cell.text = head
        for item in items:
            cells = rows.add_row().cells
            cells[0].text = item["label"]
            for cell, value in zip(cells[1:], item["cells"]):
                cell.text = value

    out.add_heading(words["reports"], level=1)
    if doc["reports"]["available"]:
        for item in doc["reports"]["items"]:
            out.add_paragraph(item["sentence"], style="List Bullet")
        table(doc["reports"]["items"])
        if doc["reports"]["chart"]:
            out.add_picture(io.BytesIO(doc["reports"]["chart"]), width=Cm(16))
    else:
        out.add_paragraph(words["no_reports"])
    out.add_heading(words["dossiers"], level=1)
    if doc["dossiers"]["available"]:
        for item in doc["dossiers"]["items"]:
            out.add_paragraph(item["sentence"], style="List Bullet")
        table(doc["dossiers"]["items"])
    else:
        out.add_paragraph(words["no_dossiers"])
    out.add_heading(words["plan"], level=1)
    for sentence in doc["plan"]["sentences"]:
        out.add_paragraph(sentence)
    out.add_heading(words["recommendations"], level=1)
    if not doc["findings"]:
        out.add_paragraph(words["no_findings"])
    for i, f in enumerate(doc["findings"], 1):
        out.add_heading(f"{i}. {f['finding']}", level=2)
        out.add_paragraph(f"{words['unit']}: {f['unit_name']}")
        if f["action"]:
            out.add_paragraph(f"{words['action']}: {f['action']}")
        out.add_paragraph(f"{words['rule']}: {f['rule']} · {words['confidence']}: {f['confidence']}")
        if f["chart"]:
            out.add_picture(io.BytesIO(f["chart"]), width=Cm(16))
        for link in f["links"]:
            out.add_paragraph(f"{words['evidence']}: {link['label']}" + (f" — {link['url']}" if link["url"] else ""))
        if f["more"]:
            out.add_paragraph(f"{words['evidence']}: {f['more']}")
        for link in f["context"]:
            out.add_paragraph(f"{words['context']}: {link['label']}" + (f" — {link['url']}" if link["url"] else ""))
    out.add_paragraph(words["method"])
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()
