"""What makes the notebooks teach: exercises of mixed kinds whose hints and outputs never give the answer
away, check-yourself boxes, a summary, questionnaire and "next" at the end, slides that fit a projector,
honest times, consistent outputs, and the corrected facts that a machine can check (issue 10).
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from http import HTTPStatus
from pathlib import Path

import pytest

from lab_support.exercises import registry

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import estimate_times  # noqa: E402  (tools/ is not a package)

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
IDS = [nb.stem[:2] for nb in NOTEBOOKS]
CODE_CELL_LINES = 15
# A 1280×720 projector at JupyterLab's default font shows about 30 lines of a slide (code and output at
# 13 px × 1.39 line height, less the toolbar and margins). Figures count as 14 lines, diagrams as 12.
SLIDE_LINES = 30
FIGURE_LINES = 14
DIAGRAM_LINES = 12
WRAP = 100  # characters on one projected line
EXERCISE_HEADING = re.compile(r"^### Exercise (\d\d\.\d+) · (Write|Fix|Predict|Diagnose|Design): ", re.M)


def _cells(nb: Path) -> list[dict]:
    return json.loads(nb.read_text())["cells"]


def _src(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _kind(cell: dict) -> str:
    return str(cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-"))


def _output_texts(cell: dict) -> list[str]:
    texts = []
    for out in cell.get("outputs", []):
        if "text" in out:
            texts.append("".join(out["text"]) if isinstance(out["text"], list) else out["text"])
        for mime, value in out.get("data", {}).items():
            if mime.startswith("text/"):
                texts.append("".join(value) if isinstance(value, list) else value)
    return texts


def _norm(line: str) -> str:
    return re.sub(r"\s+", " ", line).strip()


# ---- exercises ---------------------------------------------------------------------------------------------

def _solution_lines() -> dict[str, set[str]]:
    """Per notebook, the lines of its solutions that are the answer: not trivial, not comments, and not
    already in the notebook's own code cells (a solution may repeat the set-up the notebook gives)."""
    found: dict[str, set[str]] = {}
    for md in sorted((ROOT / "solutions").glob("[0-9][0-9]_*.md")):
        nb = ROOT / "notebooks" / (md.stem + ".ipynb")
        given = {_norm(line) for cell in _cells(nb) if cell["cell_type"] == "code"
                 for line in _src(cell).splitlines()} if nb.exists() else set()
        lines = set()
        for block in re.findall(r"```python\n(.*?)```", md.read_text(), re.S):
            for line in block.splitlines():
                line = _norm(line)
                if len(line) < 12 or line.startswith(("#", "import ", "from ", "result = lab.check", "print(")):
                    continue
                if line not in given:
                    lines.add(line)
        found[md.stem[:2]] = lines
    return found


SOLUTION_LINES = _solution_lines()


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=IDS)
def test_no_stored_output_or_markdown_contains_a_solution_line(nb: Path) -> None:
    answer_lines = set().union(*SOLUTION_LINES.values())
    leaks = []
    for index, cell in enumerate(_cells(nb)):
        texts = _output_texts(cell) + ([_src(cell)] if cell["cell_type"] == "markdown" else [])
        for text in texts:
            flat = _norm(text)
            leaks += [(index, line) for line in answer_lines if line in flat]
    assert not leaks, f"{nb.name}: cells show lines of a solution: {leaks[:5]}"


def test_no_hint_contains_a_solution_line() -> None:
    answer_lines = set().union(*SOLUTION_LINES.values())
    for exercise_id in registry.registered():
        _, _, hints = registry.describe(exercise_id)
        for hint in hints:
            flat = _norm(hint)
            assert not [line for line in answer_lines if line in flat], f"{exercise_id}'s hint gives away: {hint}"


def test_every_exercise_has_three_progressive_hints() -> None:
    for exercise_id in registry.registered():
        _, _, hints = registry.describe(exercise_id)
        assert len(hints) >= 3, f"{exercise_id}: a nudge, then the section, then the API name (got {len(hints)})"
        assert len(set(hints)) == len(hints), f"{exercise_id}: hints repeat"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=IDS)
def test_notebook_has_two_exercises_of_different_kinds(nb: Path) -> None:
    headings = [m for cell in _cells(nb) if cell["cell_type"] == "markdown"
                for m in EXERCISE_HEADING.findall(_src(cell))]
    assert len(headings) >= 2, f"{nb.name}: at least two exercises, headed '### Exercise NN.k · Kind: title'"
    assert len({kind for _, kind in headings}) >= 2, f"{nb.name}: mix the kinds of exercise"
    for exercise_id, kind in headings:
        assert exercise_id.startswith(nb.stem[:2])
        _, registered_kind, _ = registry.describe(exercise_id)
        assert registered_kind == kind.lower(), f"{exercise_id}: heading says {kind}, registry {registered_kind}"


def test_the_course_uses_every_kind_of_exercise() -> None:
    kinds = {registry.describe(e)[1] for e in registry.registered()}
    assert {"predict", "diagnose", "design"} <= kinds and kinds & {"write", "fix"}


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=IDS)
def test_stored_checks_are_unsolved_and_show_only_the_first_hint(nb: Path) -> None:
    for cell in _cells(nb):
        if cell["cell_type"] == "code" and re.search(r"lab\.check\(", _src(cell)):
            text = "\n".join(_output_texts(cell))
            assert "not solved yet" in text and "Hint 1 of" in text, f"{nb.name}: {_src(cell)[:80]!r}"


# ---- structure ---------------------------------------------------------------------------------------------

def _markdown(nb: Path) -> list[str]:
    return [_src(c) for c in _cells(nb) if c["cell_type"] == "markdown" and _kind(c) != "notes"]


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=IDS)
def test_notebook_ends_with_summary_questionnaire_cleanup_and_next(nb: Path) -> None:
    md = _markdown(nb)
    heads = [text.lstrip().splitlines()[0] for text in md if text.strip()]
    for heading in ("## Summary", "## Questionnaire", "## Clean up", "## Next"):
        assert heading in heads, f"{nb.name}: missing {heading!r}"
    order = [heads.index(h) for h in ("## Summary", "## Questionnaire", "## Clean up", "## Next")]
    assert order == sorted(order), f"{nb.name}: Summary, Questionnaire, Clean up, Next, in that order"
    questionnaire = md[[t.lstrip().splitlines()[0] if t.strip() else "" for t in md].index("## Questionnaire")]
    assert len(re.findall(r"^\d+\. ", questionnaire, re.M)) >= 4, f"{nb.name}: at least four questions"
    last = _src(_cells(nb)[-1])
    assert last.lstrip().startswith("## Next") and re.search(r"\]\((\d\d_[a-z_]+\.ipynb|\.\./README\.md)\)", last)
    for target in re.findall(r"\]\((\d\d_[a-z_]+\.ipynb)\)", last):
        assert (ROOT / "notebooks" / target).exists(), f"{nb.name}: 'Next' points at a missing {target}"


@pytest.mark.parametrize("nb", [n for n in NOTEBOOKS if not n.name.startswith("00")], ids=IDS[1:])
def test_check_yourself_boxes_have_hidden_answers(nb: Path) -> None:
    boxes = [t for t in _markdown(nb) if t.lstrip().startswith("> **🤔 Check yourself.**")]
    assert len(boxes) >= 2, f"{nb.name}: at least two '> **🤔 Check yourself.**' boxes"
    for box in boxes:
        assert "<details>" in box and "</details>" in box, f"{nb.name}: answer hidden in <details>: {box[:60]}"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=IDS)
def test_instructors_guide_covers_the_notebook(nb: Path) -> None:
    """docs/INSTRUCTORS.md is the front page; docs/instructors/NN_name.md holds one notebook's part."""
    guide = (ROOT / "docs" / "INSTRUCTORS.md").read_text()
    assert f"instructors/{nb.stem}.md" in guide, f"INSTRUCTORS.md does not link {nb.stem}'s part"
    part = (ROOT / "docs" / "instructors" / f"{nb.stem}.md").read_text()
    for heading in ("Objectives", "Time", "Where to pause", "Mistakes students make", "Questionnaire answers"):
        assert re.search(rf"^### {heading}", part, re.M), f"{nb.stem}.md has no '### {heading}'"
    questions = len(re.findall(r"^\d+\. ", next(t for t in _markdown(nb) if t.lstrip().startswith("## Questionnaire")),
                               re.M))
    answers = part.split("### Questionnaire answers", 1)[1]
    assert len(re.findall(r"^\d+\. ", answers, re.M)) == questions, f"{nb.stem}: one answer per question"


# ---- slides that fit ----------------------------------------------------------------------------------------

def _wrapped(text: str) -> int:
    return sum(max(1, -(-len(line) // WRAP)) for line in text.splitlines())


def _height(cell: dict) -> int:
    text = _src(cell)
    if cell["cell_type"] == "markdown":
        diagrams = re.findall(r"```mermaid.*?```", text, re.S)
        prose = re.sub(r"```mermaid.*?```", "", text, flags=re.S)
        return _wrapped(prose) + DIAGRAM_LINES * len(diagrams)
    lines = _wrapped(text)
    for out in cell.get("outputs", []):
        if "image/png" in out.get("data", {}) or "image/svg+xml" in out.get("data", {}):
            lines += FIGURE_LINES
        elif "text" in out:
            lines += _wrapped("".join(out["text"]) if isinstance(out["text"], list) else out["text"])
        elif "text/plain" in out.get("data", {}) and "application/vnd.jupyter.widget-view+json" not in out["data"]:
            lines += _wrapped("".join(out["data"]["text/plain"]))
        elif "application/vnd.jupyter.widget-view+json" in out.get("data", {}):
            lines += 8
    return lines


def _slides(nb: Path) -> list[tuple[int, int]]:
    """(index of the slide's first cell, its height in lines) for every slide and subslide."""
    slides: list[tuple[int, int]] = []
    for index, cell in enumerate(_cells(nb)):
        kind = _kind(cell)
        if kind in ("notes", "skip"):
            continue
        if kind in ("slide", "subslide") or not slides:
            slides.append((index, 0))
        start, height = slides[-1]
        slides[-1] = (start, height + _height(cell))
    return slides


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=IDS)
def test_code_cells_fit_on_a_slide(nb: Path) -> None:
    long = [(i, len(_src(c).splitlines())) for i, c in enumerate(_cells(nb))
            if c["cell_type"] == "code" and len(_src(c).splitlines()) > CODE_CELL_LINES]
    assert not long, f"{nb.name}: code cells longer than {CODE_CELL_LINES} lines (cell, lines): {long}"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=IDS)
def test_slides_fit_a_projector(nb: Path) -> None:
    tall = [(start, h) for start, h in _slides(nb) if h > SLIDE_LINES]
    assert not tall, f"{nb.name}: slides taller than {SLIDE_LINES} lines (first cell, lines): {tall}"


# ---- honest times ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("nb", NOTEBOOKS, ids=IDS)
def test_time_is_the_estimate_and_the_same_everywhere(nb: Path) -> None:
    minutes = estimate_times.header_time(nb)
    assert minutes == estimate_times.estimate(nb), f"{nb.name}: run tools/estimate_times.py"
    readme = (ROOT / "README.md").read_text()
    assert re.search(rf"^\| {nb.stem[:2]} \|.*\| {minutes} min \|$", readme, re.M), f"README's time for {nb.name}"
    start = "".join(_src(c) for c in _cells(NOTEBOOKS[0]))
    assert re.search(rf"^\| {nb.stem[:2]} .*\| {minutes} min \|$", start, re.M), f"00's time for {nb.name}"


# ---- outputs read the same way everywhere --------------------------------------------------------------------

STATUS = re.compile(r"^(?:\$ )?(?:HTTP/[\d.]+ )?([1-5]\d\d) ([A-Za-z][A-Za-z '-]+?)\s*$")


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=IDS)
def test_status_lines_are_spelt_one_way(nb: Path) -> None:
    odd = []
    for cell in _cells(nb):
        for text in _output_texts(cell):
            for line in text.splitlines():
                m = STATUS.match(line.strip())
                if not m:
                    continue
                try:
                    phrase = HTTPStatus(int(m.group(1))).phrase
                except ValueError:
                    continue
                if m.group(2).lower() == phrase.lower() and m.group(2) != phrase:
                    odd.append(line.strip())
    assert not odd, f"{nb.name}: status lines not spelt as RFC 9110 does (use lab.show / status_text): {odd}"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=IDS)
def test_streams_are_whole_and_without_stray_blank_lines(nb: Path) -> None:
    for index, cell in enumerate(_cells(nb)):
        outputs = cell.get("outputs", [])
        for a, b in itertools.pairwise(outputs):
            assert not (a.get("output_type") == b.get("output_type") == "stream" and a["name"] == b["name"]), \
                f"{nb.name} cell {index}: one {a['name']} stream split in pieces (rebuild with tools/build_notebooks.py)"
        for text in _output_texts(cell):
            assert "\n\n\n" not in text and not text.startswith("\n"), f"{nb.name} cell {index}: stray blank lines"


# ---- facts corrected (issue 10) -----------------------------------------------------------------------------

def _all_text(prefix: str, *, code: bool = True, markdown: bool = True) -> str:
    nb = next(n for n in NOTEBOOKS if n.name.startswith(prefix))
    return "\n".join(_src(c) for c in _cells(nb)
                     if (code and c["cell_type"] == "code") or (markdown and c["cell_type"] == "markdown"))


def test_vpc_links_are_taught_as_v2() -> None:
    for nb in NOTEBOOKS:
        code = "\n".join(_src(c) for c in _cells(nb) if c["cell_type"] == "code")
        assert not re.search(r"create_vpc_link\([^)]*targetArns", code, re.S), f"{nb.name} creates a V1 VPC link"
    assert "integrationTarget" in _all_text("05", markdown=False)


def test_01_facts() -> None:
    text = _all_text("01")
    assert "retry logic" not in text  # API Gateway does not retry integration requests
    assert re.search(r"safe.{0,400}TRACE", text, re.S | re.I), "01 lists TRACE among the safe methods"
    assert "REST API product" in text or "API Gateway's REST API" in text  # the style vs the product


def test_02_dates_init_duration_billing() -> None:
    text = _all_text("02", code=False)
    assert re.search(r"Init Duration.{0,600}(1 August 2025|August 1, 2025)", text, re.S)


def test_03_dlq_after_max_receive_count_is_exceeded() -> None:
    text = _all_text("03")
    assert not re.search(r"(reaches|reached|hits) (the )?`?maxReceiveCount", text)
    assert re.search(r"exceeds `?maxReceiveCount", text)


def test_04_private_api_names_resolve() -> None:
    text = _all_text("04")
    assert "does not even resolve" not in text
    assert "explicit deny" in text


def test_speaker_notes_do_not_promise_placeholders() -> None:
    for nb in NOTEBOOKS:
        for cell in _cells(nb):
            if _kind(cell) == "notes":
                assert not re.search(r"\b(PORT|UUID|APIID)\b.{0,80}placeholder|placeholder.{0,80}\b(PORT|UUID|APIID)\b",
                                     _src(cell), re.S), f"{nb.name}: {_src(cell)[:80]}"


def test_handlers_are_written_in_highlighted_cells() -> None:
    for nb in NOTEBOOKS:
        for cell in _cells(nb):
            if cell["cell_type"] == "code":
                assert not re.search(r'(\'\'\'|""")\s*\n\s*(import [a-z]|def handler\()', _src(cell)), \
                    f"{nb.name}: a handler in a string; use a %%lambda_handler cell: {_src(cell)[:60]!r}"


# ---- one source for a prepared handler -------------------------------------------------------------------------

# A diagnose/fix exercise shows the broken handler in a %%lambda_handler cell, and its prepare_… function deploys
# the same code (so the exercise can be set up on its own, e.g. by tests/test_solutions.py): the two must not drift.
SHOWN_AND_PREPARED = [("05", "hello_code", "nb05", "HELLO_CODE"), ("06", "shop_orders_code", "nb06", "ORDERS_CODE"),
                      ("08", "broadcast_code", "nb08", "BROADCAST_CODE")]


@pytest.mark.parametrize(("prefix", "variable", "module", "constant"), SHOWN_AND_PREPARED,
                         ids=[f"{m}.{c}" for _, _, m, c in SHOWN_AND_PREPARED])
def test_a_prepared_handler_is_the_one_the_notebook_shows(prefix: str, variable: str, module: str,
                                                           constant: str) -> None:
    import importlib  # the exercise module named by the parameters

    nb = next(n for n in NOTEBOOKS if n.name.startswith(prefix))
    shown = next(_src(c) for c in _cells(nb) if _src(c).startswith(f"%%lambda_handler {variable}\n"))
    prepared = getattr(importlib.import_module(f"lab_support.exercises.{module}"), constant)
    assert shown.split("\n", 1)[1].strip() == prepared.strip(), f"{nb.name}'s {variable} differs from {constant}"


# ---- plumbing off screen ----------------------------------------------------------------------------------------

# The course's vocabulary, introduced in 00–02 and used everywhere: starting, checking, showing, deploying a
# handler, waiting for AWS, skipping on a real account, cleaning up. Exercise set-ups (prepare_…) belong to their
# exercise. Any other lab_support name a notebook's cells use is plumbing a student has to learn for that notebook.
VOCABULARY = {"start", "use_course_style", "costs", "cost_notice", "check", "hint", "cleanup", "leftovers", "show",
              "status_text", "send", "curl_line", "explain", "create_function", "lambda_zip", "skip_on_aws", "until",
              "retrying", "wait_idle", "data_file"}
HANDFUL = 6


def _lab_support_names(nb: Path) -> set[str]:
    code = "\n".join(_src(c) for c in _cells(nb) if c["cell_type"] == "code")
    names = set(re.findall(r"\blab\.([a-z_]+)", code))
    for grouped, single in re.findall(r"^from lab_support[\w.]* import (?:\(([^)]*)\)|(.*))$", code, re.M):
        names |= {part.split(" as ")[0].strip() for part in (grouped or single).replace("\n", ",").split(",")
                  if part.strip() and not part.strip().startswith("#")}
    return {n for n in names if n not in VOCABULARY and not n.startswith("prepare_")}


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=IDS)
def test_a_student_sees_a_handful_of_plumbing_names(nb: Path) -> None:
    names = _lab_support_names(nb)
    assert len(names) <= HANDFUL, f"{nb.name} uses {len(names)} lab_support names beyond the vocabulary: {sorted(names)}"
