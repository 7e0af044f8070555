"""A small Sphinx extension for the book.

sphinx-thebe registers its configuration script on every `env-before-read-docs` event, which fires more
than once in a Jupyter Book build, so each page declared `const THEBE_JS_URL` twice and the browser
reported a SyntaxError (sphinx-togglebutton's inline script is doubled the same way).
Here each page's scripts are de-duplicated before the page is written.

It also serves the book's own CSS and JavaScript (book/_static: layout, print, accessibility fixes of the
theme), gives myst-nb's execution table a status a reader's fonts can show, and adds the directive
`{unsup-environment}`: the versions, hardware and seeds of the build, for the reproducibility page.
"""

import importlib.metadata
import os
import pathlib
import platform
import re

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

STATIC = pathlib.Path(__file__).resolve().parents[1] / "book" / "_static"


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        attributes = getattr(js, "attributes", {})
        # an inline script is known by its body (its filename may be None or ""), a file by its name
        key = ("body", attributes["body"]) if attributes.get("body") else ("file", str(getattr(js, "filename", js)))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


# ipywidgets' HTML manager typesets widget labels with MathJax 2's API (MathJax.Hub.Queue); the book ships
# MathJax 3, which has no Hub, so each widget threw a TypeError. This maps the call onto MathJax 3.
_MATHJAX2_SHIM = """
(function () {
  var hub = {Queue: function (job) {
    var el = job && job[2];
    if (window.MathJax && window.MathJax.typesetPromise) {
      window.MathJax.typesetPromise(el ? [el] : undefined).catch(function () {});
    }
  }};
  function define() { if (window.MathJax && !window.MathJax.Hub) { window.MathJax.Hub = hub; } }
  define();
  document.addEventListener("DOMContentLoaded", define);
  window.addEventListener("load", define);
})();
"""


def _bibliography_roles(app, pagename, templatename, context, doctree):
    # The theme writes the bibliography as role="list" holding role="doc-biblioentry" entries, a role
    # DPUB-ARIA 1.1 deprecates and that a list may not hold (axe: aria-required-children, critical): the
    # entries of a list are list items.
    body = context.get("body")
    if body and 'role="doc-biblioentry"' in body:
        context["body"] = body.replace('role="doc-biblioentry"', 'role="listitem"')


def _version(dist):
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _cpu():
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _gpu():
    import torch

    if torch.cuda.is_available():
        return ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "Apple MPS"
    return "none (CPU only)"


def _seeds(srcdir):
    """Per chapter, the seeds it passes to unsup.seed_everything, in the order they appear."""
    rows = []
    for nb in sorted(pathlib.Path(srcdir, "book").glob("*.ipynb")):
        seeds = re.findall(r"seed_everything\((\d+)\)", nb.read_text())
        rows.append((nb.stem, ", ".join(dict.fromkeys(seeds)) or "none"))
    return rows


def _table(header, rows):
    table = nodes.table(classes=["colwidths-auto"])
    group = nodes.tgroup(cols=len(header))
    table += group
    group += [nodes.colspec(colwidth=1) for _ in header]
    head, body = nodes.thead(), nodes.tbody()
    group += [head, body]
    for parent, cells in [(head, header)] + [(body, r) for r in rows]:
        row = nodes.row()
        row += [nodes.entry("", nodes.paragraph(text=str(c))) for c in cells]
        parent += row
    return table


class Environment(SphinxDirective):
    """The software and hardware this build ran on, and the seeds each chapter uses."""

    def run(self):
        import torch

        versions = [("Python", platform.python_version())] + [
            (name, _version(dist)) for name, dist in
            (("PyTorch", "torch"), ("unsup", "unsup"), ("Jupyter Book", "jupyter-book"), ("myst-nb", "myst-nb"),
             ("NumPy", "numpy"), ("matplotlib", "matplotlib"))]
        hardware = [("CPU", _cpu()), ("CPU cores", os.cpu_count()), ("PyTorch threads", torch.get_num_threads()),
                    ("GPU", _gpu()), ("Operating system", f"{platform.system()} {platform.release()}")]
        return [_table(["Software", "Version"], versions), _table(["Hardware", "This build"], hardware),
                _table(["Chapter", "Seeds"], _seeds(self.env.srcdir))]


def _static_files(app, config):
    config.html_static_path = [*config.html_static_path, str(STATIC)]
    app.add_css_file("unsup.css")
    app.add_js_file("unsup.js", loading_method="defer")


def _exec_status_as_text():
    # myst-nb writes the status as an emoji that a reader's fonts may not have (an empty glyph): use words
    try:
        from myst_nb.ext import execution_tables
    except ImportError:
        return
    execution_tables._key2transform["succeeded"] = lambda ok: "ran" if ok is True else "failed"
    # and one column fewer, so the table fits a phone's width: when a chapter last changed says little here
    execution_tables._key2header.pop("mtime", None)


def setup(app):
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    app.connect("html-page-context", _bibliography_roles)
    app.connect("config-inited", _static_files)
    app.add_directive("unsup-environment", Environment)
    _exec_status_as_text()
    app.add_js_file(None, body=_MATHJAX2_SHIM, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
