"""A small Sphinx extension for the book.

sphinx-thebe registers its configuration script on every `env-before-read-docs` event, which fires more
than once in a Jupyter Book build, so each page declared `const THEBE_JS_URL` twice and the browser
reported a SyntaxError (sphinx-togglebutton's inline script is doubled the same way).
Here each page's scripts are de-duplicated before the page is written.
"""


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


def setup(app):
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    app.add_js_file(None, body=_MATHJAX2_SHIM, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
