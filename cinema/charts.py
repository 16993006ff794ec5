"""Server-rendered SVG bar charts: geometry computed here, drawn by a template.

No JavaScript and no third-party library: the report page's CSP allows neither, and an
SVG with plain attributes prints and reads (``<title>`` per bar) everywhere.
"""

from dataclasses import dataclass

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 220
PLOT_WIDTH = 420
VALUE_WIDTH = 90


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: no data ("—"), unlike 0
    y: int
    width: int
    text_y: int


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    height: int
    width: int = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH
    label_width: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT

    @property
    def value_x(self) -> int:
        return self.label_width + 6


def horizontal_bars(items: list[tuple[str, float | None]]) -> BarChart:
    """Return a chart with one bar per (label, value), scaled to the largest value.

    A value of None means "no data" (drawn as no bar, labelled "—"), unlike 0.
    """
    largest = max((value or 0 for _, value in items), default=0) or 1
    bars = []
    for index, (label, value) in enumerate(items):
        y = index * (BAR_HEIGHT + GAP)
        bars.append(
            Bar(
                label=label,
                value=value,
                y=y,
                width=max(int(PLOT_WIDTH * (value or 0) / largest), 1 if value else 0),
                text_y=y + BAR_HEIGHT - 6,
            )
        )
    return BarChart(bars=bars, height=max(len(bars) * (BAR_HEIGHT + GAP), BAR_HEIGHT))
