"""Every notebook follows docs/CONVENTIONS.md (the parts a machine can check)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}
IDS = [p.stem for p in NOTEBOOKS]


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def _src(cell: dict) -> str:
    return "".join(cell["source"])


def test_there_are_notebooks() -> None:
    assert [p.name[:2] for p in NOTEBOOKS][:2] == ["00", "01"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_kernel_is_named(path: Path) -> None:
    assert _load(path)["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_header_cell(path: Path) -> None:
    first = _load(path)["cells"][0]
    assert first["cell_type"] == "markdown"
    text = _src(first)
    assert re.match(rf"# {path.name[:2]} · \S", text), "header must start '# NN · Title'"
    for label in ("**Learning objectives**", "**Time**", "**Prerequisites**"):
        assert label in text, f"header lacks {label}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_setup_cell(path: Path) -> None:
    cells = [c for c in _load(path)["cells"] if c["cell_type"] == "code"]
    setup = _src(cells[0])
    assert "import lab_support as lab" in setup and "aws = lab.start()" in setup
    assert cells[0]["metadata"]["slideshow"]["slide_type"] == "skip"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_cell_has_slide_metadata(path: Path) -> None:
    for i, cell in enumerate(_load(path)["cells"]):
        assert cell["metadata"].get("slideshow", {}).get("slide_type") in SLIDE_TYPES, f"cell {i}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_speaker_notes_and_slides(path: Path) -> None:
    cells = _load(path)["cells"]
    kinds = [c["metadata"]["slideshow"]["slide_type"] for c in cells]
    assert kinds.count("slide") >= 3, "a deck needs slides"
    notes = [c for c in cells if c["metadata"]["slideshow"]["slide_type"] == "notes"]
    assert notes, "at least one speaker-notes cell"
    assert all(_src(c).startswith("**Speaker notes.**") for c in notes)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_cleanup_cell_is_last(path: Path) -> None:
    code = [c for c in _load(path)["cells"] if c["cell_type"] == "code"]
    assert "lab.cleanup()" in _src(code[-1])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_exercises_have_self_checks(path: Path) -> None:
    cells = _load(path)["cells"]
    prefix = path.name[:2]
    for i, cell in enumerate(cells):
        m = re.search(r"^### Exercise (\d\d\.\d+)", _src(cell), re.M) if cell["cell_type"] == "markdown" else None
        if not m:
            continue
        ex_id = m.group(1)
        assert ex_id.startswith(prefix)
        follow = next(c for c in cells[i + 1 :] if c["cell_type"] == "code")
        assert "# YOUR CODE HERE" in _src(follow) and f'lab.check("{ex_id}"' in _src(follow)
        outputs = "".join("".join(o.get("text", "")) + json.dumps(o.get("data", {})) for o in follow.get("outputs", []))
        assert "not solved yet" in outputs, f"{ex_id} must be stored unsolved"
        solutions = (ROOT / "solutions" / f"{path.stem}.md").read_text()
        assert f"## {ex_id}" in solutions, f"solutions/{path.stem}.md lacks {ex_id}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_dated_callouts_cite_a_page(path: Path) -> None:
    for cell in _load(path)["cells"]:
        text = _src(cell)
        if "**📅 Update to the lecture notes.**" in text:
            assert re.search(r"https://\S+", text), "a callout must link the page that says otherwise"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_ignored_outputs_give_a_reason(path: Path) -> None:
    for cell in _load(path)["cells"]:
        if "nbval-ignore-output" in cell["metadata"].get("tags", []):
            assert re.match(r"# nbval-ignore-output: \S", _src(cell)), "say why in the cell's first line"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_code_cell_was_run_in_order(path: Path) -> None:
    code = [c for c in _load(path)["cells"] if c["cell_type"] == "code" and _src(c).strip()]
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), "rebuild with `make notebooks`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_text_twin_matches(path: Path) -> None:
    twin = ROOT / "notebooks" / "src" / (path.stem + ".py")
    assert twin.exists(), f"missing {twin.relative_to(ROOT)}"
    paired = jupytext.read(twin)
    stored = _load(path)["cells"]
    assert [_src(c) for c in stored] == [c.source for c in paired.cells], "run `make notebooks` (or save in JupyterLab)"
