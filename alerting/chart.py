"""A small PNG bar chart of a count series (pure Python: zlib + struct), for the inline email image."""

from __future__ import annotations

import struct
import zlib

_BG = (255, 255, 255)
_BAR = (120, 144, 180)
_LAST = (200, 60, 50)  # the current window
_AXIS = (90, 90, 90)
_GRID = (230, 230, 230)


def _png(width: int, height: int, rows: list[bytearray]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes(row) for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def render_bar_chart(counts: list[int], width: int = 560, height: int = 140) -> bytes:
    """Bars for each count (the last one highlighted), light grid lines at quarters of the maximum."""
    rows = [bytearray(_BG * width) for _ in range(height)]

    def fill(x0: int, y0: int, x1: int, y1: int, colour: tuple[int, int, int]) -> None:
        for y in range(max(0, y0), min(height, y1)):
            row = rows[y]
            for x in range(max(0, x0), min(width, x1)):
                row[3 * x : 3 * x + 3] = bytes(colour)

    margin, top = 8, 8
    plot_h = height - margin - top
    peak = max(max(counts, default=0), 1)
    for q in (1, 2, 3, 4):
        y = top + plot_h - round(plot_h * q / 4)
        fill(margin, y, width - margin, y + 1, _GRID)
    fill(margin, top + plot_h, width - margin, top + plot_h + 1, _AXIS)
    if counts:
        slot = (width - 2 * margin) / len(counts)
        gap = max(1, round(slot * 0.2))
        for i, value in enumerate(counts):
            bar_h = round(plot_h * value / peak)
            x0 = margin + round(i * slot) + gap // 2
            x1 = margin + round((i + 1) * slot) - gap // 2
            colour = _LAST if i == len(counts) - 1 else _BAR
            fill(x0, top + plot_h - bar_h, x1, top + plot_h, colour)
    return _png(width, height, rows)
