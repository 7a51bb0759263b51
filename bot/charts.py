"""The stats chart: the funnel and the poll results side by side, as one PNG for the chat.

Drawn with matplotlib's object-oriented API on a Figure of its own (the Agg renderer, no pyplot): no global
state, so a chart can be drawn in a worker thread while the loop keeps answering. Labels are members' and
organisers' words, drawn as plain text (``parse_math=False``: a "$" in an interest is not TeX).
"""

from __future__ import annotations

import io
import warnings

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bot.stats import EventStats

FUNNEL_COLOUR = "#1f5fa8"  # 4.5:1 or better against white, and against the white numbers inside the bars
POLL_COLOUR = "#8a4b08"
LABEL_LIMIT = 28
POLL_LIMIT = 12  # options shown; the rest are summed into one bar
WIDTH, HEIGHT, DPI = 9.0, 4.5, 100
# An emoji the font lacks is drawn as a box; that is the chart's honest best, not a problem to log per chart.
warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)


def stats_png(title: str, stats: EventStats) -> bytes:
    """The PNG's bytes (900×450 px)."""
    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
    figure.suptitle(clip(title, 60), fontsize=13, fontweight="bold", parse_math=False)
    funnel, poll = figure.subplots(1, 2)
    _bars(funnel, "The funnel", list(stats.funnel), FUNNEL_COLOUR)
    options = list(stats.interests)
    if len(options) > POLL_LIMIT:
        rest = sum(number for _, number in options[POLL_LIMIT - 1 :])
        options = [*options[: POLL_LIMIT - 1], (f"{len(options) - POLL_LIMIT + 1} more", rest)]
    if options:
        _bars(poll, "Interest poll (members per option)", options, POLL_COLOUR)
    else:
        poll.set_axis_off()
        poll.text(0.5, 0.5, "No interest poll yet", ha="center", va="center", fontsize=11, parse_math=False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _bars(axes: Axes, heading: str, rows: list[tuple[str, int]], colour: str) -> None:
    labels = [clip(label, LABEL_LIMIT) for label, _ in rows]
    values = [number for _, number in rows]
    positions = list(range(len(rows)))
    bars = axes.barh(positions, values, color=colour)
    axes.set_yticks(positions, labels, parse_math=False)
    axes.invert_yaxis()  # first row on top, as it reads
    axes.set_title(heading, fontsize=11, loc="left", parse_math=False)
    axes.bar_label(bars, labels=[str(v) for v in values], padding=3, fontsize=10)
    axes.set_xlim(0, max([*values, 1]) * 1.18)  # room for the number after the longest bar
    axes.xaxis.set_visible(False)
    for side in ("top", "right", "bottom"):
        axes.spines[side].set_visible(False)


def clip(text: str, limit: int) -> str:
    text = " ".join("".join(ch for ch in text if ch.isprintable() or ch.isspace()).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
