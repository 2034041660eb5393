"""Estimate how long a beginner needs for each notebook, from what the notebook asks of them.

    python tools/estimate_times.py          # a table: notebook, the estimate, the Time in its header

How the estimate is made (say it where a time is quoted: README, notebook 00, docs/INSTRUCTORS.md):

* reading: the words of every markdown cell a student reads (speaker notes excluded), at 120 words a minute,
  a careful reading pace for technical text in a second language;
* running: 45 s per code cell (read the code, run it, read the output), 90 s for a cell that draws a figure
  or shows a widget;
* exercises: 8 minutes each (write, predict, diagnose or decide, then check; a hint or two);
* check-yourself boxes: 1 minute each; the questionnaire: 5 minutes.

The total is rounded up to the next 5 minutes. ``tests/test_teaching.py`` asserts each notebook's header
states this number and the README and notebook 00 repeat it.
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS_PER_MINUTE = 120
CODE_CELL_MINUTES = 0.75
VISUAL_CELL_MINUTES = 1.5
EXERCISE_MINUTES = 8
CHECK_YOURSELF_MINUTES = 1
QUESTIONNAIRE_MINUTES = 5
_VISUAL = re.compile(r"plt\.show\(\)|display\(|request_builder\(|widgets\.")


def notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def estimate(path: Path) -> int:
    """Minutes a beginner needs for the notebook at ``path`` (rounded up to 5)."""
    cells = json.loads(path.read_text())["cells"]
    minutes = 0.0
    for cell in cells:
        kind = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
        text = _source(cell)
        if cell["cell_type"] == "markdown":
            if kind == "notes":
                continue
            prose = re.sub(r"```.*?```", " ", text, flags=re.S)  # diagrams are looked at, not read word by word
            minutes += len(re.findall(r"[A-Za-z0-9']+", prose)) / WORDS_PER_MINUTE
            if text.lstrip().startswith("### Exercise"):
                minutes += EXERCISE_MINUTES
            if "Check yourself" in text:
                minutes += CHECK_YOURSELF_MINUTES
            if text.lstrip().startswith("## Questionnaire"):
                minutes += QUESTIONNAIRE_MINUTES
        elif cell["cell_type"] == "code" and text.strip():
            minutes += VISUAL_CELL_MINUTES if _VISUAL.search(text) else CODE_CELL_MINUTES
    return int(math.ceil(minutes / 5) * 5)


def header_time(path: Path) -> int | None:
    """The minutes the notebook's header states (``**Time**: about N minutes``)."""
    cells = json.loads(path.read_text())["cells"]
    match = re.search(r"\*\*Time\*\*\W*(?:about\s+)?(\d+)\s*min", _source(cells[0]))
    return int(match.group(1)) if match else None


def main() -> int:
    for path in notebooks():
        print(f"{path.stem:45} estimate {estimate(path):3d} min   header {header_time(path)} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
