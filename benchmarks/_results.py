"""Writing one benchmark's section of ``benchmarks/RESULTS.md``."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def write_section(section: str, body: str, path: Path = RESULTS) -> None:
    """Replace (or append) the section headed ``section`` (e.g. ``"## Mapper"``), leaving the others alone.

    Parameters
    ----------
    section : str
        The section's heading line, without the newline.
    body : str
        The section's text below the heading.
    path : Path
        The results file (created with a title when missing).
    """
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    start = text.find(section + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section + "\n" + body
    else:
        end = text.find("\n## ", start + len(section))
        text = text[:start] + section + "\n" + body + (text[end:] if end >= 0 else "")
    path.write_text(text)
