"""Rebuild notebooks/*.ipynb from their text twins in notebooks/src/ and execute them.

    python tools/build_notebooks.py            # all
    python tools/build_notebooks.py 01 03      # those whose name starts with 01 or 03

Executing stores the outputs that strict nbval compares, so a notebook is
only ever saved as a student would see it after "Restart kernel and run all".
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def build(src: Path) -> Path:
    nb = jupytext.read(src)
    nb.metadata["kernelspec"] = KERNELSPEC
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata.setdefault("jupytext", {})["formats"] = "ipynb,src//py:percent"
    for cell in nb.cells:
        cell.metadata.setdefault("slideshow", {"slide_type": "-"})
    # coalesce_streams: one print-heavy cell stores one stream, not chunks (nbval compares them coalesced too)
    NotebookClient(nb, timeout=300, kernel_name="python3", coalesce_streams=True,
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    nb.metadata["language_info"] = {"name": "python"}  # no patch version: keeps diffs quiet
    out = NOTEBOOKS / (src.stem + ".ipynb")
    nbformat.write(nb, out)
    return out


def main(argv: list[str]) -> int:
    sources = sorted((NOTEBOOKS / "src").glob("*.py"))
    if argv:
        sources = [s for s in sources if any(s.name.startswith(a) for a in argv)]
    for src in sources:
        t0 = time.perf_counter()
        out = build(src)
        print(f"built {out.relative_to(ROOT)} in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
