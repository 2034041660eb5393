"""Rebuild notebooks/*.ipynb from their text twins in notebooks/src/ and execute them.

    python tools/build_notebooks.py            # all
    python tools/build_notebooks.py 01 03      # those whose name starts with 01 or 03
    python tools/build_notebooks.py --normalise [01 03]   # stored notebooks: metadata only, nothing runs

Executing stores the outputs that strict nbval compares, so a notebook is
only ever saved as a student would see it after "Restart kernel and run all".

A notebook is also stored the way JupyterLab itself would save it, so opening it
does not mark it modified (the dirty dot on its tab): JupyterLab writes the
kernel's `language_info` into the notebook as soon as the kernel starts, so we
store exactly what the kernel reports (it names the Python version: a student on
another Python version still sees the dot once, when JupyterLab records theirs).
Speaker-notes cells (slide_type "notes") are stored read-only (`editable: false`):
that is what lab-config/custom/custom.css recognises to show them as a folded
instructor's aside in JupyterLab; RISE still shows them in its speaker view.
`--normalise` applies the same metadata to the stored notebooks without
re-executing them, and joins a stream stored in pieces (nothing else changes).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import jupytext
import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def kernel_language_info() -> dict[str, Any]:
    """The `language_info` the course kernel reports (what JupyterLab writes into a notebook it opens)."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name=KERNELSPEC["name"])
    try:
        reply = kc.kernel_info(reply=True, timeout=60)
        return dict(reply["content"]["language_info"])
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def as_jupyterlab_saves(nb: nbformat.NotebookNode, language_info: dict[str, Any]) -> bool:
    """Give `nb` the metadata JupyterLab would give it on opening; True when anything changed.

    Only metadata changes: the kernel's full `language_info`, and `editable: false` on speaker-notes cells.
    """
    changed = False
    if nb.metadata.get("language_info") != language_info:
        nb.metadata["language_info"] = nbformat.from_dict(language_info)
        changed = True
    for cell in nb.cells:
        if cell.metadata.get("slideshow", {}).get("slide_type") == "notes" and cell.metadata.get("editable") is not False:
            cell.metadata["editable"] = False
            changed = True
    return changed


def merge_streams(nb: nbformat.NotebookNode) -> bool:
    """Join neighbouring outputs of the same stream (stdout, stderr) in every code cell; True when any were joined.

    A kernel under load may send one cell's prints in several messages, so the same cell would be stored in pieces
    one run and whole the next. Stored whole, a notebook reads the same every time (nbval joins them too before
    comparing).
    """
    changed = False
    for cell in nb.cells:
        merged: list[Any] = []
        for output in cell.get("outputs", []):
            last = merged[-1] if merged else None
            if (last is not None and output.get("output_type") == "stream" and last.get("output_type") == "stream"
                    and output.get("name") == last.get("name")):
                last["text"] = "".join(last["text"]) + "".join(output["text"])
                changed = True
            else:
                merged.append(output)
        if "outputs" in cell:
            cell["outputs"] = merged
    return changed


def build(src: Path) -> Path:
    nb = jupytext.read(src)
    nb.metadata["kernelspec"] = KERNELSPEC
    nb.metadata.setdefault("jupytext", {})["formats"] = "ipynb,src//py:percent"
    for cell in nb.cells:
        cell.metadata.setdefault("slideshow", {"slide_type": "-"})
    client = NotebookClient(nb, timeout=300, kernel_name="python3", coalesce_streams=True,
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # also stores the kernel's language_info in nb.metadata, as JupyterLab would
    merge_streams(nb)
    as_jupyterlab_saves(nb, nb.metadata["language_info"])
    out = NOTEBOOKS / (src.stem + ".ipynb")
    nbformat.write(nb, out)
    return out


def normalise(paths: list[Path]) -> list[Path]:
    """Metadata-only pass over stored notebooks (no execution); returns those rewritten."""
    language_info = kernel_language_info()
    rewritten = []
    for path in paths:
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        if merge_streams(nb) | as_jupyterlab_saves(nb, language_info):
            nbformat.write(nb, path)
            rewritten.append(path)
    return rewritten


def main(argv: list[str]) -> int:
    if argv[:1] == ["--normalise"]:
        argv = argv[1:]
        stored = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
        stored = [p for p in stored if not argv or any(p.name.startswith(a) for a in argv)]
        for path in normalise(stored):
            print(f"normalised {path.relative_to(ROOT)}")
        return 0
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
