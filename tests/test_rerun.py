""""Run all" twice in a row in one kernel works for every notebook (cells that create things are re-runnable).

Strict nbval (in the same suite) checks the first run's outputs; this checks that a second run, in the same
kernel and without restarting, raises no error and ends with the same exercise and cleanup messages.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", "") if isinstance(out.get("text", ""), str) else "".join(out["text"]))
        parts.append(str(out.get("data", {}).get("text/plain", "")))
    return "".join(parts)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_run_all_twice_in_one_kernel(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    client.km = client.create_kernel_manager()
    runs: list[list[str]] = []
    with client.setup_kernel():
        for _ in range(2):  # the second "Run all" in the same kernel; a failing cell raises CellExecutionError
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code":
                    cell.outputs = []
                    client.execute_cell(cell, index)
            runs.append([_text(c) for c in nb.cells if c.cell_type == "code"])
    first, second = runs
    assert "not solved yet" in "".join(second) or "Exercise" not in "".join(first)
    assert second[-1].startswith("Cleanup: removed"), second[-1]
    assert second[-1] == first[-1], "the second run should create (and clean up) exactly what the first did"
