"""Build a static website of the whole course from the stored notebooks: `make site` writes _site/.

    python tools/build_site.py                               # notebooks/ -> _site/
    python tools/build_site.py --notebooks DIR --out DIR

Offline and without a kernel: the notebooks are stored executed, and their outputs are shown as stored.
Each NN_*.ipynb becomes NN_*.html (nbconvert's lab template, minus everything it would load from a CDN),
index.html lists them in order with the title and **Time** of each header cell, Mermaid diagrams are drawn
in the browser by the copy of mermaid that package.json pins (copied into assets/), links between notebooks
point at the built pages, and speaker notes become a collapsed "Instructor's notes" aside.

The build ends with a link check over every page: a relative link to a missing file or anchor, or a page
resource (script, stylesheet, image) fetched from the network, fails the build with a list of each one.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import nbformat
from jinja2 import DictLoader
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent
COURSE_TITLE = "APIs, AWS Lambda and Amazon API Gateway"
MERMAID_DIST = ROOT / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

# nbconvert's lab template, without require.js, MathJax, the widget manager and mermaid from a CDN.
PAGE_TEMPLATE = """\
{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}
<script src="assets/mermaid.min.js"></script>
<script src="assets/site.js"></script>
{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}
<link rel="stylesheet" href="assets/site.css">
{%- endblock html_head_css -%}
{%- block body_header -%}
{{ super() }}
{{ resources.site_nav }}
{%- endblock body_header -%}
{%- block body_footer -%}
{{ resources.site_nav }}
{{ super() }}
{%- endblock body_footer -%}
{%- block markdowncell scoped -%}
{%- if cell.metadata.get('slideshow', {}).get('slide_type') == 'notes' -%}
<details class="site-notes"><summary>Instructor's notes</summary>
{{ super() }}
</details>
{%- else -%}
{{ super() }}
{%- endif -%}
{%- endblock markdowncell -%}
"""

SITE_JS = """\
// Draw every ```mermaid block of the page with the bundled mermaid (assets/mermaid.min.js).
document.addEventListener("DOMContentLoaded", async () => {
  const nodes = document.querySelectorAll(".jp-Mermaid > pre.mermaid");
  if (!nodes.length || !window.mermaid) {
    document.body.dataset.mermaid = "none";
    return;
  }
  window.mermaid.initialize({
    startOnLoad: false,
    maxTextSize: 100000,
    fontFamily: getComputedStyle(document.body).getPropertyValue("--jp-ui-font-family"),
  });
  try {
    await window.mermaid.run({ nodes, suppressErrors: true });
  } finally {
    document.body.dataset.mermaid = "done";
  }
});
"""

SITE_CSS = """\
.site-nav { display: flex; gap: 1.5em; justify-content: space-between; max-width: 1100px; margin: 0.5em auto;
  padding: 0.5em 1em; font-family: var(--jp-ui-font-family, sans-serif); font-size: 14px;
  border-bottom: 1px solid #ddd; }
.site-nav a { text-decoration: none; color: #1565c0; }
.site-nav .home { font-weight: bold; }
details.site-notes { margin: 0.4em 0 0.4em 64px; padding: 0.3em 0.8em; background: #fff8e1;
  border-left: 4px solid #f9a825; border-radius: 3px; font-size: 0.95em; }
details.site-notes > summary { cursor: pointer; font-weight: bold; color: #8d6e00;
  font-family: var(--jp-ui-font-family, sans-serif); }
details.site-notes .jp-InputPrompt { display: none; }
.jp-Mermaid pre.mermaid { background: none; border: none; text-align: center; white-space: normal; }
body.site-index { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 860px;
  margin: 2em auto; padding: 0 1em; line-height: 1.5; color: #222; }
.site-index ol.toc { list-style: none; padding: 0; }
.site-index ol.toc li { display: flex; justify-content: space-between; gap: 1em; padding: 0.5em 0;
  border-bottom: 1px solid #eee; }
.site-index ol.toc a { text-decoration: none; color: #1565c0; font-size: 1.1em; }
.site-index .time { color: #666; white-space: nowrap; }
.site-index code { background: #f4f4f4; padding: 0 0.25em; }
"""

INDEX_PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{title}</title>
<link rel="stylesheet" href="assets/site.css">
</head>
<body class="site-index">
<main>
<h1>{title}</h1>
<p>The course's notebooks as a website, with the outputs they were stored with. Nothing runs here: to run
the cells, edit them and try the exercises, open the course in JupyterLab with <code>make lab</code>.</p>
<ol class="toc">
{items}
</ol>
<p class="total">{count} notebooks, {total}.</p>
</main>
</body>
</html>
"""


@dataclass(frozen=True)
class Page:
    """One notebook of the course and the page built from it."""

    source: Path
    title: str
    time: str

    @property
    def href(self) -> str:
        return self.source.stem + ".html"


def find_notebooks(notebooks: Path) -> list[Path]:
    """The course's notebooks in order: NN_*.ipynb (a later 09_*.ipynb is picked up by its name)."""
    return sorted(notebooks.glob("[0-9][0-9]_*.ipynb"))


def read_header(nb: nbformat.NotebookNode, fallback: str) -> tuple[str, str]:
    """The title (first `# ` heading) and the **Time** line of the notebook's header cell."""
    title, minutes = fallback, ""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        if heading := re.search(r"^#\s+(.+?)\s*#*\s*$", cell.source, re.MULTILINE):
            title = heading.group(1)
            if found := re.search(r"\*\*Time\*\*\s*:?\s*(.+?)\s*$", cell.source, re.MULTILINE):
                minutes = found.group(1).rstrip(".")
            break
    return title, minutes


def prepare(nb: nbformat.NotebookNode) -> None:
    """Drop what only a live kernel can show: widget views (their text/plain stays) and the widget state."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data")
            if data and WIDGET_VIEW in data and len(data) > 1:
                del data[WIDGET_VIEW]


# href="NN_x.ipynb" or "NN_x.ipynb#anchor" (relative, no scheme) -> the built page.
_NOTEBOOK_LINK = re.compile(r'href="(?![a-zA-Z][a-zA-Z0-9+.-]*:|//)([^"#?]*?)\.ipynb(#[^"]*)?"')
# The course's README (a last notebook's "Next" may point there) -> the site's landing page.
_README_LINK = re.compile(r'href="\.\./README\.md(#[^"]*)?"')


def link_pages(body: str) -> str:
    """Links written for JupyterLab (to .ipynb files, to ../README.md) made to work between the built pages."""
    body = _NOTEBOOK_LINK.sub(lambda m: f'href="{m.group(1)}.html{m.group(2) or ""}"', body)
    return _README_LINK.sub('href="index.html"', body)


def nav(pages: list[Page], i: int) -> str:
    prev = f'<a class="prev" href="{pages[i - 1].href}">← {html.escape(pages[i - 1].title)}</a>' if i > 0 else "<span></span>"
    nxt = (
        f'<a class="next" href="{pages[i + 1].href}">{html.escape(pages[i + 1].title)} →</a>'
        if i + 1 < len(pages)
        else "<span></span>"
    )
    return f'<nav class="site-nav">{prev}<a class="home" href="index.html">{html.escape(COURSE_TITLE)}</a>{nxt}</nav>'


def total_time(pages: list[Page]) -> str:
    minutes = [int(m.group(1)) for p in pages if (m := re.search(r"(\d+)\s*min", p.time))]
    if not minutes:
        return "time not stated"
    hours, rest = divmod(sum(minutes), 60)
    return f"about {hours} h {rest:02d} min" if hours else f"about {rest} minutes"


def index_page(pages: list[Page]) -> str:
    items = "\n".join(
        f'<li><a href="{p.href}">{html.escape(p.title)}</a><span class="time">{html.escape(p.time)}</span></li>'
        for p in pages
    )
    return INDEX_PAGE.format(title=html.escape(COURSE_TITLE), items=items, count=len(pages), total=total_time(pages))


class _PageLinks(HTMLParser):
    """The ids (anchors) a page defines and the references (href/src) it makes."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (name == "name" and tag == "a"):
                self.ids.add(value)
            elif name in ("href", "src"):
                self.refs.append((tag, name, value))


def check_links(site: Path) -> list[str]:
    """Every broken relative link of the built site, and every page resource taken from the network."""
    parsed: dict[Path, _PageLinks] = {}
    for page in sorted(site.rglob("*.html")):
        parser = _PageLinks()
        parser.feed(page.read_text(encoding="utf-8"))
        parser.close()
        parsed[page.resolve()] = parser
    broken: list[str] = []
    for page, parser in parsed.items():
        where = page.relative_to(site.resolve())
        for tag, attr, value in parser.refs:
            url = urlsplit(value)
            if url.scheme or value.startswith("//"):
                # Links out are left alone (nothing is fetched); a script, stylesheet or image must be local.
                if url.scheme in ("http", "https") and (attr == "src" or tag == "link"):
                    broken.append(f"{where}: <{tag} {attr}={value!r}> loads from the network")
                continue
            target = (page.parent / unquote(url.path)).resolve() if url.path else page
            if not target.is_file():
                broken.append(f"{where}: {value!r} -> no file {os.path.relpath(target, site.resolve())}")
                continue
            if url.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else set()
                if url.fragment not in ids and unquote(url.fragment) not in ids:
                    broken.append(f"{where}: {value!r} -> no anchor #{url.fragment} in {target.name}")
    return broken


def build(notebooks: Path, out: Path) -> list[Page]:
    """Write the site into `out` (emptied first); raises SystemExit naming what is missing or broken."""
    sources = find_notebooks(notebooks)
    if not sources:
        raise SystemExit(f"build_site: no NN_*.ipynb notebooks in {notebooks}")
    if not MERMAID_DIST.is_file():
        raise SystemExit(f"build_site: {MERMAID_DIST} is missing: run `npm ci` (make node_modules/.installed)")
    if out.exists():
        if any(out.iterdir()) and not (out / "index.html").exists():
            raise SystemExit(f"build_site: {out} is not empty and holds no index.html: not overwriting it")
        shutil.rmtree(out)
    (out / "assets").mkdir(parents=True)
    shutil.copy(MERMAID_DIST, out / "assets" / "mermaid.min.js")
    license_file = MERMAID_DIST.parent.parent / "LICENSE"
    if license_file.is_file():
        shutil.copy(license_file, out / "assets" / "mermaid.LICENSE.txt")
    (out / "assets" / "site.js").write_text(SITE_JS, encoding="utf-8")
    (out / "assets" / "site.css").write_text(SITE_CSS, encoding="utf-8")

    books: list[nbformat.NotebookNode] = []
    pages: list[Page] = []
    for source in sources:
        nb = nbformat.read(source, as_version=4)
        title, minutes = read_header(nb, source.stem)
        books.append(nb)
        pages.append(Page(source, title, minutes))

    exporter = HTMLExporter(
        template_name="lab", template_file="site.html.j2", extra_loaders=[DictLoader({"site.html.j2": PAGE_TEMPLATE})]
    )
    for i, (page, nb) in enumerate(zip(pages, books, strict=True)):
        prepare(nb)
        nb.metadata["title"] = page.title
        resources: dict[str, Any] = {"metadata": {"name": page.source.stem}, "site_nav": nav(pages, i)}
        body, _ = exporter.from_notebook_node(nb, resources=resources)
        (out / page.href).write_text(link_pages(body), encoding="utf-8")
    (out / "index.html").write_text(index_page(pages), encoding="utf-8")
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks", help="folder of NN_*.ipynb (default: notebooks/)")
    parser.add_argument("--out", type=Path, default=ROOT / "_site", help="where the site goes (default: _site/)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    pages = build(args.notebooks, args.out)
    broken = check_links(args.out)
    if broken:
        print(f"build_site: {len(broken)} broken link(s) in {args.out}:", file=sys.stderr)
        for line in broken:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(f"build_site: {len(pages)} notebooks -> {args.out / 'index.html'} in {time.monotonic() - started:.1f} s, links checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
