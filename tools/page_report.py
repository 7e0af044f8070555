"""What a reader meets on every built page, as text for the engineers who fix the chapters:

- the page heights at 1280 px (folded boxes as built, i.e. closed),
- the elements that overflow their box at 1280 px and at 390 px (the rule of tests/test_browser_layout.py),
- axe-core's serious and critical violations (the rule of tests/test_a11y.py),
- how many characters of code fit in a code cell at 1280 px.

    .venv/bin/python tools/page_report.py [--heights FILE] [--overflow FILE] [--a11y FILE]

Each report goes to stdout unless a FILE is given. Needs the built book, chromium and `make vendor`."""

import argparse
import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from offline_browser import ARGS, CHROMIUM, book_pages, open_offline, overflows, settle  # noqa: E402

# the built book to test: the full build, or another built folder (a chapter build, an earlier clone's build)
# named by UNSUP_HTML; a page that folder does not hold is skipped
HTML = pathlib.Path(os.environ.get("UNSUP_HTML") or ROOT / "_build" / "html").resolve()  # file URIs need it absolute

# characters of code per line that fit a code cell: the cell's inner width over the width of one character
CODE_CHARS_JS = r"""() => {
  const pre = document.querySelector('.cell_input pre') || document.querySelector('div.highlight pre');
  if (!pre) return null;
  const probe = document.createElement('span');
  probe.textContent = '0'.repeat(100);
  pre.appendChild(probe);
  const char = probe.getBoundingClientRect().width / 100;
  probe.remove();
  const cs = getComputedStyle(pre);
  const inner = pre.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  return {inner, char, fit: Math.floor(inner / char), font: cs.fontSize + ' ' + cs.fontFamily};
}"""


def write(text, path):
    if path:
        pathlib.Path(path).write_text(text, errors="replace")
        print(f"wrote {path}")
    else:
        print(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--heights")
    ap.add_argument("--overflow")
    ap.add_argument("--a11y")
    args = ap.parse_args()
    if not (HTML / "index.html").exists():
        sys.exit("the book is not built: run `make book` first")
    import test_a11y  # the same axe-core options as the test
    from playwright.sync_api import sync_playwright

    heights, over, a11y, chars = [], [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for name in book_pages(ROOT):
            if not (HTML / f"{name}.html").exists():  # a chapter's own build holds only that chapter
                continue
            page, *_ = open_offline(browser, HTML / f"{name}.html", viewport={"width": 1280, "height": 900})
            settle(page, unfold=False)
            heights.append(f"{name:32s} {page.evaluate('document.documentElement.scrollHeight'):7d} px")
            fit = page.evaluate(CODE_CHARS_JS)
            if fit:
                chars.append(f"{name}: {fit['fit']} characters ({fit['inner']:.0f} px / {fit['char']:.2f} px, "
                             f"{fit['font']})")
            settle(page)
            for width in (1280, 390):
                if width == 390:
                    page.set_viewport_size({"width": 390, "height": 900})
                    page.wait_for_timeout(300)
                found = [f for f in overflows(page) if width == 1280 or f["kind"] != "code"]
                over.append(f"{name} at {width} px: {len(found)}")
                over += [f"  {f['kind']:6s} {f['scroll']:5d}/{f['client']:4d} px: {f['text']}" for f in found]
            page.set_viewport_size({"width": 1280, "height": 900})
            if test_a11y.AXE.exists():
                found = test_a11y.serious(test_a11y.axe_violations(page))
                a11y.append(f"{name}: {sum(len(v['nodes']) for v in found)} elements")
                if found:
                    a11y.append(test_a11y.describe(found, limit=None))
            page.close()
        browser.close()
    write("page heights at 1280 px (folded boxes closed)\n" + "\n".join(heights) + "\n", args.heights)
    write("overflowing elements (kind, content/box width, text); at 390 px code cells may scroll\n"
          + "\n".join(over) + "\n\ncode characters that fit a code cell at 1280 px\n" + "\n".join(chars) + "\n",
          args.overflow)
    write("axe-core serious/critical violations, WCAG 2.1 A/AA\n" + "\n".join(a11y) + "\n", args.a11y)


if __name__ == "__main__":
    main()
