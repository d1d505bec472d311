"""Prints the results file (tab-separated rows from the benchmarks) as one table.

usage: table.py RESULTS [--markdown]
"""

import sys

HEADER = ["figure", "target", "measured", "anchor (same run)", "ratio", "met"]


def main():
    rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
    rows = [(r + [""] * 6)[:6] for r in rows]
    if "--markdown" in sys.argv:
        print("| " + " | ".join(HEADER) + " |")
        print("|" + "---|" * len(HEADER))
        for r in rows:
            print("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(HEADER)]
    widths = [min(w, 70) for w in widths]

    def line(cells):
        return "  ".join(c[:w].ljust(w) for c, w in zip(cells, widths)).rstrip()
    print(line(HEADER))
    print(line(["-" * w for w in widths]))
    for r in rows:
        print(line(r))
        for i, c in enumerate(r):  # long cells continue on the next lines
            rest = c[widths[i]:]
            while rest:
                cells = [""] * 6
                cells[i] = "  " + rest[:widths[i] - 2]
                rest = rest[widths[i] - 2:]
                print(line(cells))
    met = sum(1 for r in rows if r[5] == "yes")
    missed = sum(1 for r in rows if r[5] == "no")
    na = sum(1 for r in rows if r[5] == "n/a")
    print("\ntargets met: %d, not met: %d, n/a: %d" % (met, missed, na))


if __name__ == "__main__":
    main()
