"""Demo step of the indices app: the published ranks quoted in the seeds and the research (sourced)."""

from __future__ import annotations


def load_demo(out=print) -> None:
    from tinhso.indices import published

    result = published.load_demo()
    out(f"Published index results (sourced) / Kết quả chỉ số đã công bố: {result['created']} new, "
        f"{result['updated']} updated")
