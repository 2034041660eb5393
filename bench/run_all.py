"""Execute every notebook headless and report its time as a ratio to the floor.

The floor is an empty notebook that only imports and starts lab_support,
executed the same way (fresh kernel, nbclient) in the same run. Each notebook is
run ``--repeat`` times; the median is reported.

    python bench/run_all.py [--repeat 3] [PREFIX ...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def floor_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import lab_support as lab\naws = lab.start()")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def run(nb: nbformat.NotebookNode) -> float:
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return time.perf_counter() - t0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("prefixes", nargs="*")
    args = parser.parse_args(argv)
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if args.prefixes:
        paths = [p for p in paths if any(p.name.startswith(x) for x in args.prefixes)]

    floor = statistics.median(run(floor_notebook()) for _ in range(args.repeat))
    print(f"{'notebook':<48} {'median s':>9} {'× floor':>8}")
    print(f"{'(floor: import + lab.start())':<48} {floor:>9.2f} {1.0:>8.1f}")
    for path in paths:
        times = [run(nbformat.read(path, as_version=4)) for _ in range(args.repeat)]
        median = statistics.median(times)
        print(f"{path.name:<48} {median:>9.2f} {median / floor:>8.1f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
