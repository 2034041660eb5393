"""`make site`: tools/build_site.py turns the stored notebooks into a static website, checked here.

The site is built once per module into a temporary folder (the same command `make site` runs), then read as
files and, where Chromium is installed, opened in headless Chromium from file:// to see the Mermaid diagrams
drawn by the bundled mermaid. Building needs node_modules (mermaid), as `make test` installs.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import struct
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from browser_support import launch, needs_chromium

ROOT = Path(__file__).resolve().parent.parent
BUILDER = ROOT / "tools" / "build_site.py"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NETWORK_LIBRARIES = re.compile(r"cdn\.jsdelivr|cdnjs|unpkg\.com|//cdn\.", re.IGNORECASE)

pytestmark = pytest.mark.skipif(
    not (ROOT / "node_modules" / "mermaid" / "dist" / "mermaid.min.js").exists(),
    reason="needs node_modules (npm ci, as make test runs) for the bundled mermaid",
)


def _build(notebooks: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BUILDER), "--notebooks", str(notebooks), "--out", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "_site"
    started = time.monotonic()
    result = _build(ROOT / "notebooks", out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert time.monotonic() - started < 60, "the site should build in seconds"
    return out


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of each <li> of the landing page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.items: list[str] = []
        self._in_li = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "li":
            self._in_li = True
            self.items.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "li":
            self._in_li = False

    def handle_data(self, data: str) -> None:
        if self._in_li:
            self.items[-1] += data


def _tags(page: Path) -> _Tags:
    parser = _Tags()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def _header(nb_path: Path) -> tuple[str, str]:
    source = nbformat.read(nb_path, as_version=4).cells[0].source
    title = re.search(r"^# (.+)$", source, re.MULTILINE)
    minutes = re.search(r"\*\*Time\*\*: (.+)$", source, re.MULTILINE)
    assert title and minutes, f"{nb_path.name}: the header cell has a '# title' and a '**Time**:' line"
    return title.group(1).strip(), minutes.group(1).strip().rstrip(".")


def test_landing_page_lists_every_notebook_in_order_with_its_time(site: Path) -> None:
    index = _tags(site / "index.html")
    links = [a["href"] for tag, a in index.tags if tag == "a" and a.get("href", "").endswith(".html")]
    assert links == [nb.stem + ".html" for nb in NOTEBOOKS]
    for href in links:
        assert (site / str(href)).is_file(), href
    assert len(index.items) == len(NOTEBOOKS)
    for item, nb in zip(index.items, NOTEBOOKS, strict=True):
        title, minutes = _header(nb)
        assert title in item and minutes in item, (item, title, minutes)


def test_every_notebook_page_shows_its_stored_outputs(site: Path) -> None:
    for nb_path in NOTEBOOKS:
        page = (site / (nb_path.stem + ".html")).read_text(encoding="utf-8")
        nb = nbformat.read(nb_path, as_version=4)
        assert page.count('class="jp-Cell jp-CodeCell') == sum(c.cell_type == "code" for c in nb.cells)
        printed = [o.text for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "stream"]
        lines = [line for text in printed for line in text.splitlines() if line.strip()]
        assert lines, f"{nb_path.name} is stored executed"
        for line in (lines[0], lines[-1]):
            assert html.escape(line, quote=False) in page, f"{nb_path.name}: stored output {line!r} not shown"


def test_nothing_is_loaded_from_a_cdn(site: Path) -> None:
    for page in sorted(site.glob("*.html")):
        for tag, attrs in _tags(page).tags:
            if tag == "script" and attrs.get("src"):
                assert not re.match(r"[a-z]+:|//", str(attrs["src"])), f"{page.name}: script from {attrs['src']}"
            if tag == "link" and attrs.get("href"):
                assert not re.match(r"[a-z]+:|//", str(attrs["href"])), f"{page.name}: stylesheet from {attrs['href']}"
    for file in sorted(site.rglob("*")):
        if file.suffix in (".html", ".js", ".css"):
            found = NETWORK_LIBRARIES.search(file.read_text(encoding="utf-8", errors="replace"))
            assert found is None, f"{file.name} names a CDN: {found.group(0) if found else ''}"
    # The bundled mermaid is the one package.json pins, copied as is.
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["mermaid"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned), "mermaid is pinned to an exact version"
    assert json.loads((ROOT / "node_modules" / "mermaid" / "package.json").read_text())["version"] == pinned
    bundled = ROOT / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
    assert (site / "assets" / "mermaid.min.js").read_bytes() == bundled.read_bytes()


def test_links_between_notebooks_point_at_the_built_pages(site: Path) -> None:
    linked = 0
    for page in sorted(site.glob("*.html")):
        for tag, attrs in _tags(page).tags:
            href = str(attrs.get("href") or "")
            if tag == "a" and not re.match(r"[a-z]+:", href):
                assert ".ipynb" not in href, f"{page.name}: {href} still points at a notebook"
                if re.match(r"\d\d_\w+\.html", href):
                    assert (site / href.split("#")[0]).is_file()
                    linked += 1
    assert linked >= len(NOTEBOOKS), "the notebooks link to each other (and the navigation links them)"
    # A markdown link of notebook 04 to notebook 01, as written in the notebook.
    if (ROOT / "notebooks" / "04_api_gateway_architecture.ipynb").exists():
        assert 'href="01_what_is_an_api.html"' in (site / "04_api_gateway_architecture.html").read_text()


def test_speaker_notes_are_collapsed_instructor_asides(site: Path) -> None:
    for nb_path in NOTEBOOKS:
        cells = nbformat.read(nb_path, as_version=4).cells
        notes = sum(c.cell_type == "markdown" and c.metadata.get("slideshow", {}).get("slide_type") == "notes" for c in cells)
        details = [a for tag, a in _tags(site / (nb_path.stem + ".html")).tags if tag == "details"]
        asides = [a for a in details if "site-notes" in str(a.get("class"))]  # others: check-yourself answers
        assert len(asides) == notes, nb_path.name
        assert all("open" not in a for a in details), f"{nb_path.name}: asides and answers start folded"


def _copy_notebooks(tmp_path: Path) -> Path:
    """All the course's notebooks (their "Next" links point at each other), to change one of them."""
    src = tmp_path / "notebooks"
    src.mkdir()
    for nb_path in NOTEBOOKS:
        shutil.copy(nb_path, src / nb_path.name)
    return src


@pytest.mark.parametrize(
    ("link", "complaint"),
    [("99_not_written_yet.ipynb", "no file 99_not_written_yet.html"), ("00_start_here.ipynb#No-such-heading", "no anchor")],
)
def test_link_check_fails_the_build_on_a_broken_link(tmp_path: Path, link: str, complaint: str) -> None:
    src = _copy_notebooks(tmp_path)
    nb_path = src / NOTEBOOKS[1].name
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell(f"Read on in [the next part]({link})."))
    nbformat.write(nb, nb_path)
    result = _build(src, tmp_path / "_site")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 broken link" in result.stderr
    assert complaint in result.stderr and NOTEBOOKS[1].stem + ".html" in result.stderr


def test_a_later_notebook_joins_the_site_by_its_name(tmp_path: Path) -> None:
    src = _copy_notebooks(tmp_path)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 10 · A later notebook\n\nWhat it adds.\n\n**Time**: about 5 minutes"),
        nbformat.v4.new_markdown_cell(f"Back to [the start]({NOTEBOOKS[0].name})."),
        nbformat.v4.new_markdown_cell("## Next\n\nThe end: back to [the README](../README.md)."),
    ]
    nbformat.write(nb, src / "10_later.ipynb")
    result = _build(src, tmp_path / "_site")
    assert result.returncode == 0, result.stdout + result.stderr
    index = _tags(tmp_path / "_site" / "index.html")
    assert [a["href"] for tag, a in index.tags if tag == "a"] == [nb.stem + ".html" for nb in NOTEBOOKS] + ["10_later.html"]
    assert "10 · A later notebook" in index.items[-1] and "about 5 minutes" in index.items[-1]
    page = (tmp_path / "_site" / "10_later.html").read_text(encoding="utf-8")
    assert f'href="{NOTEBOOKS[0].stem}.html"' in page
    assert 'href="index.html">the README' in page, "a link to ../README.md leads to the landing page"


def _png_size(png: Path) -> tuple[int, int]:
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", "a PNG file"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.browser
@needs_chromium
def test_pages_render_in_chromium_with_mermaid_drawn_as_svg(site: Path, tmp_path: Path) -> None:
    """Open the built pages from file:// (no server, no network): every ```mermaid block becomes an SVG diagram."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        failed: list[str] = []
        page.on("requestfailed", lambda r: failed.append(r.url))
        for nb_path in NOTEBOOKS:
            source = (ROOT / "notebooks" / nb_path.name).read_text(encoding="utf-8")
            diagrams = sum(c["source"].count("```mermaid") if isinstance(c["source"], str)
                           else "".join(c["source"]).count("```mermaid") for c in json.loads(source)["cells"]
                           if c["cell_type"] == "markdown")
            page.goto((site / (nb_path.stem + ".html")).as_uri())
            page.wait_for_function("() => ['done', 'none'].includes(document.body.dataset.mermaid)", timeout=30_000)
            drawn = page.evaluate(
                "() => [...document.querySelectorAll('.jp-Mermaid')].map(d => {"
                " const s = d.querySelector('svg');"
                " return s ? [s.getAttribute('aria-roledescription'), s.getBoundingClientRect().height] : null; })"
            )
            assert len(drawn) == diagrams, nb_path.name
            for diagram in drawn:
                assert diagram is not None, f"{nb_path.name}: a Mermaid block was not drawn"
                assert diagram[0] != "error", f"{nb_path.name}: Mermaid reports a syntax error"
                assert diagram[1] > 20, f"{nb_path.name}: an empty diagram"
            # Speaker notes are there, collapsed: their text is not shown until the reader opens them.
            notes = page.locator("details.site-notes")
            if notes.count():
                assert notes.first.is_visible()
                assert not notes.first.locator(".jp-RenderedMarkdown").is_visible()

        name = next((nb.stem for nb in NOTEBOOKS if nb.name.startswith("04")), NOTEBOOKS[0].stem)
        page.goto((site / f"{name}.html").as_uri())
        page.wait_for_function("() => document.body.dataset.mermaid === 'done'", timeout=30_000)
        page.locator(".jp-Mermaid svg").first.scroll_into_view_if_needed()
        shot = tmp_path / f"{name}.png"
        page.screenshot(path=str(shot))
        browser.close()
    assert shot.stat().st_size > 10_000
    assert _png_size(shot) == (1280, 720)
    assert failed == [], f"requests that failed (nothing should be fetched from outside the site): {failed}"
