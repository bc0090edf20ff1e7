"""Bare WeasyPrint, for comparison: an HTML file and its stylesheet to PDF in a process of its own, no Django.

    python bench/bare_weasyprint.py PAGE.html STYLE.css WARMUP.html OUT.pdf

Renders WARMUP.html first (fonts loaded, as in a worker that has rendered before), then PAGE.html timed
with the process's own clock, and prints one JSON line: seconds, the resident memory before (KiB) and
the peak (VmHWM, KiB), and the PDF's size.
"""

import json
import sys
import time
from pathlib import Path

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration


def memory_kib() -> dict[str, int]:
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


def main(page: str, style: str, warmup: str, out: str) -> None:
    fonts = FontConfiguration()
    css = CSS(string=Path(style).read_text(), font_config=fonts)
    HTML(string=Path(warmup).read_text()).write_pdf(stylesheets=[css], font_config=fonts)
    before = memory_kib()["VmRSS"]
    html = Path(page).read_text()
    started = time.perf_counter()
    pdf = HTML(string=html).write_pdf(stylesheets=[css], font_config=fonts)
    seconds = time.perf_counter() - started
    Path(out).write_bytes(pdf)
    print(
        json.dumps({"seconds": seconds, "rss_before_kib": before, "peak_kib": memory_kib()["VmHWM"], "bytes": len(pdf)})
    )


if __name__ == "__main__":
    main(*sys.argv[1:5])
