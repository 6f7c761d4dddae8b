"""Charts drawn on the server with matplotlib (Agg): SVG for the HTML page and the PDF, PNG for the
Word file. Deterministic: fixed fonts (DejaVu Sans, which has every Vietnamese letter), fixed SVG id
salt, no creation date in the files, so the same data gives the same bytes."""

from __future__ import annotations

import io
import threading

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

_LOCK = threading.Lock()  # matplotlib's global state (rcParams) is not thread-safe
BLUE, GREY, RED = "#1f5fa8", "#8a8f98", "#b3261e"
RC = {"font.family": "DejaVu Sans", "font.size": 9, "svg.hashsalt": "tinhso-analysis", "svg.fonttype": "path",
      "axes.spines.top": False, "axes.spines.right": False}


def _save(fig: Figure, fmt: str) -> bytes:
    buffer = io.BytesIO()
    metadata = {"Date": None, "Creator": None} if fmt == "svg" else {"Software": None}
    fig.savefig(buffer, format=fmt, metadata=metadata, bbox_inches="tight", dpi=150 if fmt == "png" else 72)
    return buffer.getvalue()


def _short(label: str) -> str:
    """``2025-10`` → ``10/25``; other labels unchanged."""
    if len(label) == 7 and label[4] == "-":
        return f"{label[5:]}/{label[2:4]}"
    return label


def bars_and_rate(months: list[str], counts: list[int], rates: list[float | None], *, title: str,
                  count_label: str, rate_label: str, fmt: str = "svg") -> bytes:
    """Monthly counts as bars (the last one highlighted) and a rate (0–1) as a line on a second axis."""
    with _LOCK, matplotlib.rc_context(RC):
        fig = Figure(figsize=(7.0, 2.8))
        ax = fig.add_subplot()
        xs = list(range(len(months)))
        ax.bar(xs, counts, color=[GREY] * (len(xs) - 1) + [BLUE], label=count_label)
        ax.set_xticks(xs, [_short(m) for m in months])
        ax.set_ylabel(count_label)
        ax.set_title(title, loc="left", fontsize=10)
        points = [(x, r * 100) for x, r in zip(xs, rates) if r is not None]
        if points:
            ax2 = ax.twinx()
            ax2.plot([p[0] for p in points], [p[1] for p in points], color=RED, marker="o", markersize=3,
                     label=rate_label)
            ax2.set_ylim(0, 105)
            ax2.set_ylabel(rate_label)
            ax2.spines["top"].set_visible(False)
        return _save(fig, fmt)


def series(x: list[str], observed: list[float], *, title: str, expected: list[float] | None = None,
           lower: list[float] | None = None, upper: list[float] | None = None, observed_label: str = "",
           expected_label: str = "", fmt: str = "svg") -> bytes:
    """A finding's evidence: observed values, and the detector's expectation and band if it has one."""
    with _LOCK, matplotlib.rc_context(RC):
        fig = Figure(figsize=(7.0, 2.4))
        ax = fig.add_subplot()
        xs = list(range(len(x)))
        if lower and upper:
            ax.fill_between(xs, lower, upper, color=GREY, alpha=0.25, linewidth=0)
        if expected:
            ax.plot(xs, expected, color=GREY, linestyle="--", label=expected_label or None)
        ax.plot(xs, observed, color=BLUE, marker="o", markersize=3, label=observed_label or None)
        step = max(1, len(x) // 8)
        ax.set_xticks(xs[::step], [_short(v) for v in x[::step]])
        ax.set_title(title, loc="left", fontsize=10)
        if observed_label and expected:
            ax.legend(frameon=False, fontsize=8)
        return _save(fig, fmt)
