"""studies/README.md shows every study and only figures that are committed and modest in size."""

from __future__ import annotations

import re
from pathlib import Path

import studies

ROOT = Path(studies.__file__).parent


def test_readme_figures_exist_and_are_small():
    text = (ROOT / "README.md").read_text()
    shown = re.findall(r"!\[[^\]]*\]\((figures/[^)]+\.png)\)", text)
    assert shown, "the README shows no figure"
    for rel in shown:
        path = ROOT / rel
        assert path.is_file(), rel
        assert path.stat().st_size < 300 * 1024, rel
    assert {p.name for p in (ROOT / "figures").glob("*.png")} == {Path(r).name for r in shown}


def test_readme_has_a_section_per_study():
    text = (ROOT / "README.md").read_text()
    for name in studies.names():
        assert f"(`{name}`)" in text, name
    assert "accel study run" in text
