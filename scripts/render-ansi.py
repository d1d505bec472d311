#!/usr/bin/env python3
"""Renders ANSI text (as `tmux capture-pane -e -p` prints it) to a PNG that looks like a terminal.

    render-ansi.py INPUT.ansi OUTPUT.png [--cols 140] [--rows 36] [--font-size 15] [--title TEXT]

Understands SGR: 16, 256 and truecolor foreground/background (`;` or `:` separated), bold, dim,
italic, underline, reverse and their resets; other escape sequences are skipped. Box-drawing lines
and block elements are drawn as shapes so borders and sparklines join without gaps; everything
else is drawn with DejaVu Sans Mono. Needs Pillow (Debian: python3-pil) and fonts-dejavu-core.
"""

import argparse
import re
import sys
import unicodedata

from PIL import Image, ImageDraw, ImageFont

FONT_DIR = "/usr/share/fonts/truetype/dejavu/"
FONTS = {
    (False, False): "DejaVuSansMono.ttf",
    (True, False): "DejaVuSansMono-Bold.ttf",
    (False, True): "DejaVuSansMono-Oblique.ttf",
    (True, True): "DejaVuSansMono-BoldOblique.ttf",
}

# A dark terminal palette (the 16 ANSI colours), default foreground and background.
PALETTE16 = [
    (0x0c, 0x0d, 0x10), (0xe0, 0x55, 0x55), (0x70, 0xc4, 0x50), (0xe0, 0xb6, 0x40),
    (0x52, 0x94, 0xe0), (0xb8, 0x72, 0xd0), (0x44, 0xc0, 0xc8), (0xd3, 0xd7, 0xcf),
    (0x70, 0x76, 0x7c), (0xff, 0x72, 0x72), (0x92, 0xe6, 0x62), (0xfc, 0xe9, 0x4f),
    (0x7a, 0xb2, 0xf4), (0xda, 0x94, 0xee), (0x66, 0xe0, 0xe8), (0xf6, 0xf6, 0xf2),
]
DEFAULT_FG = (0xd8, 0xdb, 0xd5)
DEFAULT_BG = (0x16, 0x18, 0x1c)
FRAME = (0x26, 0x29, 0x2f)

# Bounds: the input is our own capture, but a bounded parser costs nothing.
MAX_INPUT_BYTES = 4 << 20
MAX_PARAMS = 32

CSI = re.compile(r"\x1b\[([0-9;:?<=>]*)([ -/]*)([@-~])")
OTHER_ESC = re.compile(r"\x1b(\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|[()#%][0-9A-Za-z]|[0-9A-Za-z=<>])")


def color256(n):
    if n < 16:
        return PALETTE16[n]
    if n < 232:
        n -= 16
        levels = [0, 95, 135, 175, 215, 255]
        return (levels[n // 36], levels[(n // 6) % 6], levels[n % 6])
    v = 8 + 10 * (n - 232)
    return (v, v, v)


class Pen:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None
        self.bg = None
        self.bold = self.dim = self.italic = self.underline = self.reverse = False

    def copy(self):
        p = Pen()
        p.__dict__.update(self.__dict__)
        return p

    def apply(self, params):
        """Applies one SGR parameter string to the pen."""
        # Colon sub-parameters (38:2::r:g:b / 38:5:n) become one group; semicolons separate groups.
        groups = [g.split(":") for g in (params.split(";") if params else ["0"])][:MAX_PARAMS]
        flat = []
        for g in groups:
            if len(g) > 1:
                flat.append(g)
            else:
                flat.append(g[0])
        i = 0
        while i < len(flat):
            item = flat[i]
            if isinstance(item, list):  # colon form
                nums = [int(x) if x.isdigit() else 0 for x in item]
                self._extended(nums[0], nums[1:] if nums[1:2] != [2] else [2] + nums[-3:])
                i += 1
                continue
            code = int(item) if item.isdigit() else 0
            if code in (38, 48, 58):
                rest = [int(x) if isinstance(x, str) and x.isdigit() else 0 for x in flat[i + 1:i + 5]]
                if rest[:1] == [5]:
                    self._extended(code, rest[:2]); i += 3; continue
                if rest[:1] == [2]:
                    self._extended(code, rest[:4]); i += 5; continue
                i += 1
                continue
            self._simple(code)
            i += 1

    def _extended(self, code, rest):
        color = None
        if rest[:1] == [5] and len(rest) >= 2:
            color = color256(max(0, min(255, rest[1])))
        elif rest[:1] == [2] and len(rest) >= 4:
            color = tuple(max(0, min(255, v)) for v in rest[1:4])
        if color is None:
            return
        if code == 38:
            self.fg = color
        elif code == 48:
            self.bg = color

    def _simple(self, c):
        if c == 0:
            self.reset()
        elif c == 1:
            self.bold = True
        elif c == 2:
            self.dim = True
        elif c == 3:
            self.italic = True
        elif c == 4:
            self.underline = True
        elif c == 7:
            self.reverse = True
        elif c == 22:
            self.bold = self.dim = False
        elif c == 23:
            self.italic = False
        elif c == 24:
            self.underline = False
        elif c == 27:
            self.reverse = False
        elif 30 <= c <= 37:
            self.fg = PALETTE16[c - 30]
        elif c == 39:
            self.fg = None
        elif 40 <= c <= 47:
            self.bg = PALETTE16[c - 40]
        elif c == 49:
            self.bg = None
        elif 90 <= c <= 97:
            self.fg = PALETTE16[c - 90 + 8]
        elif 100 <= c <= 107:
            self.bg = PALETTE16[c - 100 + 8]


def cell_width(ch):
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def parse(text, cols, rows):
    """Returns rows × cols cells: (character, pen) with character '' for the right half of wide ones."""
    blank = Pen()
    grid = [[(" ", blank) for _ in range(cols)] for _ in range(rows)]
    pen = Pen()
    for y, line in enumerate(text.split("\n")[:rows]):
        x = 0
        i = 0
        while i < len(line):
            ch = line[i]
            if ch == "\x1b":
                m = CSI.match(line, i)
                if m:
                    if m.group(3) == "m" and not m.group(2):
                        pen.apply(m.group(1))
                    i = m.end()
                    continue
                m = OTHER_ESC.match(line, i)
                i = m.end() if m else i + 1
                continue
            i += 1
            if ch == "\r" or (ord(ch) < 0x20 and ch != "\t") or ch == "\x7f":
                continue
            if ch == "\t":
                x = min(cols, (x // 8 + 1) * 8)
                continue
            w = cell_width(ch)
            if w == 0:
                continue
            if x + w > cols:
                break
            grid[y][x] = (ch, pen.copy())
            if w == 2:
                grid[y][x + 1] = ("", pen.copy())
            x += w
    return grid


def blend(a, b, t):
    return tuple(int(a[k] * (1 - t) + b[k] * t) for k in range(3))


def colors_of(pen):
    fg = pen.fg or DEFAULT_FG
    bg = pen.bg or DEFAULT_BG
    if pen.reverse:
        fg, bg = bg, fg
    if pen.dim:
        fg = blend(fg, bg, 0.45)
    return fg, bg


# Box drawing: which arms (up, right, down, left) a light/heavy/double line character has.
BOX_ARMS = {
    "─": "rl", "━": "rl", "│": "ud", "┃": "ud", "┌": "rd", "┐": "ld", "└": "ur", "┘": "ul",
    "├": "urd", "┤": "uld", "┬": "rld", "┴": "url", "┼": "urdl", "╭": "rd", "╮": "ld", "╰": "ur", "╯": "ul",
    "═": "rl", "║": "ud", "╴": "l", "╶": "r", "╵": "u", "╷": "d",
}
HEAVY = set("━┃")


def draw_box(draw, ch, x, y, w, h, fg):
    arms = BOX_ARMS[ch]
    t = max(1, round(w / 9)) * (2 if ch in HEAVY else 1)
    cx, cy = x + w // 2, y + h // 2
    half = t // 2
    if "l" in arms:
        draw.rectangle([x, cy - half, cx + half, cy - half + t - 1], fill=fg)
    if "r" in arms:
        draw.rectangle([cx - half, cy - half, x + w - 1, cy - half + t - 1], fill=fg)
    if "u" in arms:
        draw.rectangle([cx - half, y, cx - half + t - 1, cy + half], fill=fg)
    if "d" in arms:
        draw.rectangle([cx - half, cy - half, cx - half + t - 1, y + h - 1], fill=fg)


def draw_block(draw, ch, x, y, w, h, fg):
    """Block elements U+2580–U+2590 as rectangles (sparklines must reach the cell bottom exactly)."""
    o = ord(ch)
    if 0x2581 <= o <= 0x2588:  # lower n/8 blocks
        top = y + h - round(h * (o - 0x2580) / 8)
        draw.rectangle([x, top, x + w - 1, y + h - 1], fill=fg)
    elif o == 0x2580:  # upper half
        draw.rectangle([x, y, x + w - 1, y + h // 2 - 1], fill=fg)
    elif 0x2589 <= o <= 0x258F:  # left n/8 blocks
        right = x + round(w * (0x2590 - o) / 8)
        draw.rectangle([x, y, right - 1, y + h - 1], fill=fg)
    elif o == 0x2590:  # right half
        draw.rectangle([x + w // 2, y, x + w - 1, y + h - 1], fill=fg)
    else:
        return False
    return True


def render(grid, cols, rows, font_size, title):
    fonts = {k: ImageFont.truetype(FONT_DIR + v, font_size) for k, v in FONTS.items()}
    regular = fonts[(False, False)]
    ascent, descent = regular.getmetrics()
    cw = round(regular.getlength("M"))
    ch_h = ascent + descent
    pad = 14
    bar = 30 if title is not None else 0
    width, height = cols * cw + 2 * pad, rows * ch_h + 2 * pad + bar
    img = Image.new("RGB", (width, height), DEFAULT_BG)
    draw = ImageDraw.Draw(img)
    if title is not None:  # a plain window title bar
        draw.rectangle([0, 0, width - 1, bar - 1], fill=FRAME)
        for i, c in enumerate([(0xff, 0x5f, 0x57), (0xfe, 0xbc, 0x2e), (0x28, 0xc8, 0x40)]):
            cx = 18 + i * 20
            draw.ellipse([cx - 6, bar // 2 - 6, cx + 6, bar // 2 + 6], fill=c)
        tw = regular.getlength(title)
        draw.text(((width - tw) / 2, (bar - ch_h) / 2), title, font=regular, fill=(0xa8, 0xac, 0xb2))
    ox, oy = pad, pad + bar
    for y in range(rows):
        for x in range(cols):
            ch, pen = grid[y][x]
            if ch == "":
                continue
            fg, bg = colors_of(pen)
            wide = 2 if x + 1 < cols and grid[y][x + 1][0] == "" else 1
            px, py = ox + x * cw, oy + y * ch_h
            if bg != DEFAULT_BG:
                draw.rectangle([px, py, px + wide * cw - 1, py + ch_h - 1], fill=bg)
            if ch == " ":
                pass
            elif ch in BOX_ARMS:
                draw_box(draw, ch, px, py, cw, ch_h, fg)
            elif not draw_block(draw, ch, px, py, cw, ch_h, fg):
                draw.text((px, py), ch, font=fonts[(pen.bold, pen.italic)], fill=fg)
            if pen.underline:
                draw.line([px, py + ascent + 1, px + wide * cw - 1, py + ascent + 1], fill=fg)
    return img


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--cols", type=int, default=140)
    ap.add_argument("--rows", type=int, default=36)
    ap.add_argument("--font-size", type=int, default=15)
    ap.add_argument("--title", default=None, help="draw a window title bar with this text")
    a = ap.parse_args()
    if not (1 <= a.cols <= 1000 and 1 <= a.rows <= 500 and 6 <= a.font_size <= 64):
        sys.exit("render-ansi: --cols 1..1000, --rows 1..500, --font-size 6..64")
    with open(a.input, "rb") as f:
        data = f.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        sys.exit(f"render-ansi: {a.input} is larger than {MAX_INPUT_BYTES} bytes")
    grid = parse(data.decode("utf-8", errors="replace"), a.cols, a.rows)
    img = render(grid, a.cols, a.rows, a.font_size, a.title)
    # An adaptive palette keeps a terminal screenshot small without visible loss.
    img.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(a.output, optimize=True)


if __name__ == "__main__":
    main()
