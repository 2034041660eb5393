"""Open notebooks in a real JupyterLab in headless Chromium, run all cells, and click the widget.

Skipped (with the reason) when /usr/bin/chromium is absent; `.ci/run` installs it.
Facts used here were measured in ../shared/notes/browser-testing.md.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from browser_support import launch, needs_chromium

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "course-browser-test"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
LAB_CONFIG = ROOT / "lab-config"

pytestmark = [pytest.mark.browser, needs_chromium]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("lab")
    for nb in NOTEBOOKS:
        shutil.copy(nb, root / nb.name)
    # The course's own lab settings, as `make lab` uses them (lab-config/ on JUPYTER_CONFIG_PATH: no news, no
    # update check, custom.css); an empty JUPYTER_CONFIG_DIR keeps this machine's ~/.jupyter out of the test.
    config = tmp_path_factory.mktemp("jupyter-config")
    # Render every cell (no windowing), so widgets far down the notebook are in the DOM to click.
    settings = tmp_path_factory.mktemp("lab-settings")
    (settings / "@jupyterlab" / "notebook-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"})
    )
    port = _free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_CONFIG_PATH": str(LAB_CONFIG), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
         f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={TOKEN}",
         f"--ServerApp.root_dir={root}", "--expose-app-in-browser", f"--LabApp.user_settings_dir={settings}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/api/status?token={TOKEN}", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.3)
        else:
            pytest.fail("JupyterLab did not start within 60 s")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _assert_opened_unmodified(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Opening a notebook leaves it unmodified: no dirty dot on its tab before the student does anything.

    Once the kernel answers, JupyterLab writes the kernel's language_info into the notebook's metadata; whether
    that marks the tab dirty depends on whether the answer comes before or after the notebook finished loading
    (it does in `make lab`, where jupytext also reads the paired src/*.py). So check both the dirty flag and that
    JupyterLab found nothing to change: the metadata it holds is the stored metadata.
    """
    state = page.evaluate(
        "async () => { const w = window.jupyterapp.shell.currentWidget;"
        " await w.sessionContext.session.kernel.info;"
        " await new Promise(r => setTimeout(r, 500));"
        " return {dirty: w.context.model.dirty, tab: w.title.className, metadata: w.context.model.metadata}; }"
    )
    stored = json.loads((ROOT / "notebooks" / name).read_text())["metadata"]
    changed = sorted(k for k in stored.keys() | state["metadata"].keys() if stored.get(k) != state["metadata"].get(k))
    assert not changed, (
        f"JupyterLab rewrites the metadata {changed} of {name} as it opens it (the dirty dot): stored"
        f" {[stored.get(k) for k in changed]}, JupyterLab's {[state['metadata'].get(k) for k in changed]};"
        " run `python tools/build_notebooks.py --normalise`"
    )
    assert not state["dirty"] and "jp-mod-dirty" not in state["tab"], f"{name} is marked modified as it opens"


def _open_and_run_all(page, base: str, name: str, *, but_cleanup: bool = False) -> None:  # type: ignore[no-untyped-def]
    # A workspace of its own per notebook: otherwise JupyterLab restores the tabs the last test left open.
    page.goto(f"{base}/lab/workspaces/{name.split('_')[0]}/tree/{name}?reset&token={TOKEN}")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget", timeout=60_000)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_function(
        "() => { const w = window.jupyterapp.shell.currentWidget;"
        " return w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel &&"
        " w.sessionContext.session.kernel.status === 'idle'; }",
        timeout=60_000,
    )
    _assert_opened_unmodified(page, name)
    if but_cleanup:  # the last code cell (clean-up) stops the local services: leave them running to click on
        page.evaluate(
            "() => { const w = window.jupyterapp.shell.currentWidget;"
            " const code = w.content.widgets.map((c, i) => [c, i]).filter(([c]) => c.model.type === 'code');"
            " w.content.activeCellIndex = code[code.length - 1][1];"
            " return window.jupyterapp.commands.execute('notebook:run-all-above'); }"
        )
    else:
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    # Done when every code cell meant to run shows an execution count and the kernel is idle again.
    page.wait_for_function(
        "(skip) => { const w = window.jupyterapp.shell.currentWidget;"
        " let cells = w.content.widgets.filter(c => c.model.type === 'code' && c.model.sharedModel.getSource().trim());"
        " if (skip) { cells = cells.slice(0, -1); }"
        " const k = w.sessionContext.session && w.sessionContext.session.kernel;"
        " return cells.every(c => c.model.executionCount) && k && k.status === 'idle'; }",
        arg=but_cleanup,
        timeout=240_000,  # the capstone makes a few hundred requests; two busy cores take their time
    )


@pytest.mark.parametrize("name", [p.name for p in NOTEBOOKS])
def test_notebook_runs_in_jupyterlab(jupyterlab: str, name: str) -> None:
    """Run all in a real JupyterLab: every cell runs, none fails, the exercise checks answer."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page()
        _open_and_run_all(page, jupyterlab, name)
        text = page.locator(".jp-Notebook").inner_text()
        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']")
        assert errors.count() == 0, errors.all_inner_texts()
        assert "not solved yet" in text
        assert "Cleanup: removed" in text
        # Every Mermaid diagram renders (JupyterLab draws each as an SVG image; a syntax error shows no image).
        diagrams = (ROOT / "notebooks" / "src" / name.replace(".ipynb", ".py")).read_text().count("```mermaid")
        page.wait_for_function(
            "(n) => document.querySelectorAll('.jp-RenderedMermaid img').length >= n", arg=diagrams, timeout=30_000
        )
        if name.startswith("00"):
            assert "All set: every package the course needs is installed." in text
        browser.close()


def test_request_builder_sends_from_the_browser(jupyterlab: str) -> None:
    if not (ROOT / "notebooks" / "01_what_is_an_api.ipynb").exists():
        pytest.skip("notebook 01 not built yet")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page()
        _open_and_run_all(page, jupyterlab, "01_what_is_an_api.ipynb", but_cleanup=True)
        # The notebook's own cells leave the form on a broken body: first show that, then a GET.
        send = page.locator("button.widget-button").first
        send.scroll_into_view_if_needed()
        page.locator(".widget-dropdown select").first.select_option("GET")
        path = page.locator(".widget-text input").first
        path.fill("/notes")
        send.click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('.widget-output')].some(e => e.innerText.includes('200 OK'))",
            timeout=30_000,
        )
        output = " ".join(page.locator(".widget-output").all_inner_texts())
        assert "curl -sS -X GET" in output or "curl" in output
        assert "200 OK" in output
        assert "Traceback" not in page.locator(".jp-Notebook").inner_text()
        browser.close()


@pytest.mark.parametrize("name", [p.name for p in NOTEBOOKS])
def test_notebook_presents_as_slides(jupyterlab: str, name: str) -> None:
    """jupyterlab-rise renders the deck an instructor presents: one slide per `slide` cell, no set-up, no notes."""
    from playwright.sync_api import sync_playwright

    cells = json.loads((ROOT / "notebooks" / name).read_text())["cells"]
    slides = sum(1 for c in cells if c["metadata"]["slideshow"]["slide_type"] == "slide")
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page()
        page.goto(f"{jupyterlab}/rise/{name}?token={TOKEN}")
        page.wait_for_function(
            "(n) => document.querySelectorAll('.reveal .slides > section').length >= n", arg=slides, timeout=60_000
        )
        assert page.evaluate("() => document.querySelectorAll('.reveal .slides > section').length") == slides
        # What the audience can see on any slide: the deck minus skipped cells (class reveal-skip, display none)
        # and minus the speaker-notes asides reveal.js keeps for the presenter's view.
        deck = page.evaluate(
            "() => { const d = document.querySelector('.reveal .slides').cloneNode(true);"
            " d.querySelectorAll('aside.notes, .reveal-skip').forEach(a => a.remove()); return d.textContent; }"
        )
        notes = sum(1 for c in cells if c["metadata"]["slideshow"]["slide_type"] == "notes")
        assert page.evaluate("() => document.querySelectorAll('aside.notes').length") == notes
        # The speaker view shows each note in full, folded or not in the notebook view.
        asides = page.evaluate("() => [...document.querySelectorAll('aside.notes .jp-RenderedMarkdown')].map(a => a.textContent)")
        assert len(asides) == notes and all(a.startswith("Speaker notes.") and len(a) > 60 for a in asides), asides
        assert "Speaker notes." not in deck, "speaker notes belong in the notes view, not on a slide"
        assert "aws = lab.start()" not in deck, "the set-up cell is skipped on slides"
        assert "What is" in deck or "·" in deck
        browser.close()


def test_course_lab_shows_no_news(jupyterlab: str) -> None:
    """With the course's lab settings, no "official Jupyter news" toast and no update check: nothing fetched."""
    from playwright.sync_api import sync_playwright

    assert requests.get(f"{jupyterlab}/lab/api/news?token={TOKEN}", timeout=10).json() == {"news": []}
    assert requests.get(f"{jupyterlab}/lab/api/update?token={TOKEN}", timeout=10).json() == {"notification": None}
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page()
        page.goto(f"{jupyterlab}/lab/workspaces/quiet?reset&token={TOKEN}")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=60_000)
        page.evaluate("() => window.jupyterapp.restored")
        page.wait_for_timeout(3000)  # without the course settings the news toast is up within about 1 s
        plugin = "@jupyterlab/apputils-extension:announcements"
        assert not page.evaluate("(id) => window.jupyterapp.hasPlugin(id)", plugin), "the news plugin is loaded"
        disabled = page.evaluate("() => JSON.parse(document.getElementById('jupyter-config-data').textContent)")
        assert plugin in disabled["disabledExtensions"]
        toasts = page.evaluate("() => [...document.querySelectorAll('.Toastify__toast')].map(t => t.innerText)")
        assert toasts == []
        browser.close()


def test_speaker_notes_fold_into_an_aside(jupyterlab: str) -> None:
    """In the notebook view a speaker-notes cell is a folded, muted aside; selecting it unfolds it."""
    from playwright.sync_api import sync_playwright

    name = NOTEBOOKS[0].name
    css = requests.get(f"{jupyterlab}/custom/custom.css?token={TOKEN}", timeout=10).content
    assert css == (LAB_CONFIG / "custom" / "custom.css").read_bytes()
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page()
        page.goto(f"{jupyterlab}/lab/workspaces/notes/tree/{name}?reset&token={TOKEN}")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget", timeout=60_000)
        page.wait_for_selector(".jp-Notebook .jp-MarkdownCell .jp-RenderedMarkdown", timeout=60_000)
        looks = (
            "() => window.jupyterapp.shell.currentWidget.content.widgets"
            ".filter(c => c.model.type === 'markdown').map(c => {"
            " const r = c.node.querySelector('.jp-RenderedMarkdown'); const s = getComputedStyle(r);"
            " return {notes: (c.model.getMetadata('slideshow') || {}).slide_type === 'notes',"
            " text: r.textContent.slice(0, 40), folded: r.scrollHeight > r.clientHeight + 2,"
            " border: s.borderLeftWidth, color: s.color}; })"
        )
        cells = page.evaluate(looks)
        notes = [c for c in cells if c["notes"]]
        others = [c for c in cells if not c["notes"]]
        assert notes and others
        for cell in notes:
            assert cell["text"].startswith("Speaker notes."), cell
            assert cell["folded"] and cell["border"] == "3px", f"speaker notes not shown as a folded aside: {cell}"
        for cell in others:
            assert not cell["folded"], f"a cell that is not speaker notes is folded: {cell}"
        aside = {(c["border"], c["color"]) for c in notes}
        assert len(aside) == 1 and not aside & {(c["border"], c["color"]) for c in others}, "notes look like the rest"
        if os.environ.get("SCREENSHOT"):  # to look at it: SCREENSHOT=notes.png pytest tests/test_browser.py -k fold
            page.evaluate(
                "() => { const w = window.jupyterapp.shell.currentWidget; w.content.widgets.find("
                "c => (c.model.getMetadata('slideshow') || {}).slide_type === 'notes').node.scrollIntoView(); }"
            )
            page.screenshot(path=os.environ["SCREENSHOT"])
        # Selecting a notes cell (a click) unfolds it to read in full.
        page.evaluate(
            "() => { const w = window.jupyterapp.shell.currentWidget;"
            " w.content.activeCellIndex = w.content.widgets.findIndex("
            "c => (c.model.getMetadata('slideshow') || {}).slide_type === 'notes'); }"
        )
        unfolded = page.evaluate(
            "() => { const r = window.jupyterapp.shell.currentWidget.content.activeCell.node"
            ".querySelector('.jp-RenderedMarkdown'); return r.scrollHeight <= r.clientHeight + 2; }"
        )
        assert unfolded, "a selected speaker-notes cell stays folded"
        browser.close()
