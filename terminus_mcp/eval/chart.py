"""The eval report's chart as a PNG, drawn without a plotting library.

Two panels of bars, one bar per task (numbered as in the report's table): on top the answer /
baseline token ratio in percent, below the key-fact recall in percent, each with its target as a
red line. Only digits and ``%`` are drawn (a 3x5 pixel font); the Markdown around the chart
names the tasks and the panels. A plotting library would be a heavy dependency for two bar
charts; this keeps ``terminus-mcp eval`` working on a bare install.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Sequence

Color = tuple[int, int, int]

WHITE: Color = (255, 255, 255)
BLACK: Color = (40, 40, 40)
GRID: Color = (225, 225, 225)
BLUE: Color = (52, 101, 164)
GREEN: Color = (78, 154, 6)
RED: Color = (204, 0, 0)
GREY: Color = (170, 170, 170)

_GLYPHS = {
    "0": ("111", "101", "101", "101", "111"),
    "1": ("010", "110", "010", "010", "111"),
    "2": ("111", "001", "111", "100", "111"),
    "3": ("111", "001", "111", "001", "111"),
    "4": ("101", "101", "111", "001", "001"),
    "5": ("111", "100", "111", "001", "111"),
    "6": ("111", "100", "111", "101", "111"),
    "7": ("111", "001", "001", "001", "001"),
    "8": ("111", "101", "111", "101", "111"),
    "9": ("111", "101", "111", "001", "111"),
    "%": ("101", "001", "010", "100", "101"),
    ".": ("000", "000", "000", "000", "010"),
}
SCALE = 2
"""Pixels per font dot."""


class Canvas:
    """An RGB raster with the few drawing operations the chart needs."""

    def __init__(self, width: int, height: int, background: Color = WHITE) -> None:
        self.width = width
        self.height = height
        self.pixels = bytearray(bytes(background) * (width * height))

    def rect(self, x0: int, y0: int, x1: int, y1: int, color: Color) -> None:
        """Fill the rectangle [x0, x1) x [y0, y1), clipped to the canvas."""
        x0, x1 = max(0, min(x0, x1)), min(self.width, max(x0, x1))
        y0, y1 = max(0, min(y0, y1)), min(self.height, max(y0, y1))
        if x0 >= x1:
            return
        row = bytes(color) * (x1 - x0)
        for y in range(y0, y1):
            start = (y * self.width + x0) * 3
            self.pixels[start : start + len(row)] = row

    def text(self, x: int, y: int, text: str, color: Color = BLACK) -> None:
        """Draw digits, ``.`` and ``%`` with the top-left corner at (x, y)."""
        for char in text:
            glyph = _GLYPHS.get(char)
            if glyph is not None:
                for gy, line in enumerate(glyph):
                    for gx, dot in enumerate(line):
                        if dot == "1":
                            px, py = x + gx * SCALE, y + gy * SCALE
                            self.rect(px, py, px + SCALE, py + SCALE, color)
            x += 4 * SCALE

    def png(self) -> bytes:
        """The canvas encoded as a PNG file (8-bit RGB, no interlace)."""
        stride = self.width * 3
        raw = b"".join(
            b"\x00" + bytes(self.pixels[y * stride : (y + 1) * stride]) for y in range(self.height)
        )

        def chunk(kind: bytes, data: bytes) -> bytes:
            body = kind + data
            return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b"")
        )


def text_width(text: str) -> int:
    return len(text) * 4 * SCALE - SCALE


def _nice_top(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return 10.0 * power  # pragma: no cover


def _panel(
    canvas: Canvas,
    top: int,
    height: int,
    left: int,
    values: Sequence[float | None],
    axis_max: float,
    target: float,
    color: Color,
    bar_pitch: int,
) -> None:
    bottom = top + height
    for tick in range(5):
        tick_value = axis_max * tick / 4
        y = bottom - round(height * tick / 4)
        canvas.rect(left, y, left + bar_pitch * len(values), y + 1, GRID)
        label = f"{tick_value:g}%"
        canvas.text(left - 6 - text_width(label), y - 5, label)
    for index, value in enumerate(values):
        x = left + index * bar_pitch + bar_pitch // 5
        width = bar_pitch - 2 * (bar_pitch // 5)
        if value is None:
            canvas.rect(x, bottom - 3, x + width, bottom, GREY)
            continue
        bar = round(height * min(value, axis_max) / axis_max)
        canvas.rect(x, bottom - max(bar, 1), x + width, bottom, color)
    y = bottom - round(height * min(target, axis_max) / axis_max)
    for x in range(left, left + bar_pitch * len(values), 8):
        canvas.rect(x, y - 1, x + 5, y + 1, RED)
    canvas.rect(left - 1, top, left, bottom + 1, BLACK)
    canvas.rect(left - 1, bottom, left + bar_pitch * len(values), bottom + 1, BLACK)


def render_chart(
    ratios: Sequence[float | None],
    recalls: Sequence[float | None],
    *,
    ratio_target: float = 0.05,
    recall_target: float = 0.95,
) -> bytes:
    """A PNG of per-task token ratio (top) and recall (bottom), as fractions; ``None`` is a
    task that has no value (drawn as a grey stub). Tasks are numbered from 1 along the bottom."""
    count = max(1, len(ratios))
    pitch = 36
    left, panel_h, gap = 70, 150, 40
    width = left + pitch * count + 20
    height = 20 + panel_h + gap + panel_h + 40
    canvas = Canvas(width, height)
    ratio_pct = [None if r is None else r * 100 for r in ratios]
    worst = max([r for r in ratio_pct if r is not None] + [ratio_target * 100.0])
    _panel(canvas, 20, panel_h, left, ratio_pct, _nice_top(worst), ratio_target * 100, BLUE, pitch)
    recall_pct = [None if r is None else r * 100 for r in recalls]
    _panel(
        canvas,
        20 + panel_h + gap,
        panel_h,
        left,
        recall_pct,
        100.0,
        recall_target * 100,
        GREEN,
        pitch,
    )
    for index in range(len(ratios)):
        label = str(index + 1)
        x = left + index * pitch + (pitch - text_width(label)) // 2
        canvas.text(x, height - 28, label)
    return canvas.png()
