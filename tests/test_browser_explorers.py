"""Every explorer of unsup.widgets on one page, as a reader with a screen reader or a keyboard meets them:
headless Chromium (offline) runs the four of them side by side (the shared runtime inlined four times), axe-core
finds no serious or critical WCAG 2.1 A/AA violation in them, and each one's controls answer the keyboard.

Runs on a page this test writes (fast, no built book needed); test_a11y.py runs axe-core on the built pages."""

import pathlib

import pytest
import torch
from offline_browser import open_offline
from test_a11y import AXE, AXE_OPTIONS, describe, serious
from torch import nn

from unsup import gan
from unsup.widgets import (
    conv_transpose_explorer_html,
    elbo_explorer_html,
    gan_interpolation_html,
    latent_explorer_html,
)

pytestmark = pytest.mark.browser
REGISTRIES = {"lat": "unsupExplorers", "gan": "unsupGanExplorers", "ct": "unsupConvT", "elbo": "unsupElboExplorers"}
KINDS = {"latent": "unsupExplorers", "gan": "unsupGanExplorers", "convt": "unsupConvT", "elbo": "unsupElboExplorers"}
ROOT = pathlib.Path(__file__).resolve().parents[1]
# the chapters that show at least one explorer
CHAPTER_EXPLORERS = ["01_autoencoders_pca", "02_upsampling", "03_generative_elbo", "04_vae", "05_gan"]


@pytest.fixture(scope="module")
def page(browser, tmp_path_factory):
    torch.manual_seed(0)
    decoder = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 784), nn.Sigmoid())
    G = gan.DCGenerator(z_dim=6, channels=(8, 4)).eval()
    parts = [latent_explorer_html(decoder, codes=torch.randn(50, 2), labels=torch.randint(10, (50,)),
                                  title="latent explorer", element_id="lat"),
             gan_interpolation_html(G, torch.randn(4, 6), title="interpolation explorer", element_id="gan"),
             conv_transpose_explorer_html(element_id="ct"),
             elbo_explorer_html(element_id="elbo")]
    path = tmp_path_factory.mktemp("explorers") / "explorers.html"
    path.write_text("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>explorers</title></head>"
                    "<body><main><h1>Explorers</h1>" + "\n".join(parts) + "</main></body></html>")
    page, remote, errors, _ = open_offline(browser, path, viewport={"width": 1280, "height": 900})
    page.wait_for_function(" && ".join(f"window.{r} && window.{r}.{eid}" for eid, r in REGISTRIES.items()),
                           timeout=15000)
    yield page, remote, errors
    page.close()


def test_four_explorers_share_one_runtime_on_one_page(page):
    page, remote, errors = page
    assert not errors and not remote, (errors, remote)
    assert page.evaluate("window.unsupRuntime.version") == 1
    for eid in REGISTRIES:
        assert page.inner_text(f"#{eid} .status") == "", f"{eid} reports an error"
    assert page.evaluate("document.querySelectorAll('script.unsup-spec[data-started]').length") == 4


def test_no_serious_accessibility_violation_in_any_explorer(page):
    page, _, _ = page
    if not AXE.exists():
        pytest.skip("axe-core is not vendored: run `make vendor`")
    page.add_script_tag(path=str(AXE))
    found = serious(page.evaluate("async (o) => (await axe.run(document, o)).violations", AXE_OPTIONS))
    assert not found, describe(found)


def test_every_control_and_canvas_has_an_accessible_name(page):
    """What a screen reader announces: Chromium's accessibility tree names every control and canvas."""
    page, _, _ = page
    unnamed = page.evaluate("""() => Array.from(document.querySelectorAll(
          'main input, main select, main button, main canvas:not([aria-hidden=true])')).filter(el => {
        const label = el.getAttribute('aria-label') || (el.labels && el.labels.length && el.labels[0].innerText)
                      || (el.tagName === 'BUTTON' && el.innerText);
        return !(label && label.trim()) || (el.tagName === 'CANVAS' && !el.getAttribute('role'));
      }).map(el => el.outerHTML.slice(0, 80))""")
    assert not unnamed, unnamed


def test_the_slider_explorers_answer_the_keyboard(page):
    page, _, _ = page
    # ELBO: the mean of q, one step right; the numbers follow
    before = page.evaluate("window.unsupElboExplorers.elbo.values.mu")
    page.locator("#elbo input.mu").focus()
    page.keyboard.press("ArrowRight")
    assert page.evaluate("window.unsupElboExplorers.elbo.values.mu") == pytest.approx(before + 0.01)
    # the snap button, from the keyboard: q becomes the exact posterior
    page.locator("#elbo button.snap").focus()
    page.keyboard.press("Enter")
    assert abs(page.evaluate("window.unsupElboExplorers.elbo.values.kl")) < 1e-4
    # transposed convolution: stride 2 -> 3 by the keyboard; the output size follows the library's formula
    page.locator("#ct input.s").focus()
    page.keyboard.press("ArrowRight")
    state = page.evaluate("window.unsupConvT.ct.state()")
    assert state["out"] == (2 - 1) * 3 - 2 * 1 + 3 + 1
    page.locator("#ct button.first").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("window.unsupConvT.ct.state().step") == 0


@pytest.mark.parametrize("width", [1280, 390])
def test_nothing_in_an_explorer_sticks_out_of_its_column(page, width):
    """In a column as wide as the book's at 1280 px, and on a 390 px phone, every control, canvas and text of
    every explorer stays inside the explorer's box (which stays inside the column)."""
    page, _, _ = page
    page.set_viewport_size({"width": width, "height": 900})
    column = min(width - 40, 760)
    page.evaluate(f"document.querySelector('main').style.cssText = 'width:{column}px;margin:0 20px'")
    out = page.evaluate("""() => {
        const found = [], main = document.querySelector('main').getBoundingClientRect();
        document.querySelectorAll('main [role=group][id]').forEach(root => {
          const box = root.getBoundingClientRect();
          if (box.right > main.right + 1) found.push(root.id + ': the explorer is wider than the column');
          root.querySelectorAll('*').forEach(el => {
            const r = el.getBoundingClientRect();
            if (r.width && r.right > box.right + 1) found.push(root.id + ': ' + el.outerHTML.slice(0, 70));
          });
        });
        return found;
      }""")
    assert not out, f"at {width} px: {out[:5]}"


@pytest.mark.parametrize("chapter", CHAPTER_EXPLORERS)
def test_every_explorer_in_a_built_chapter_starts(browser, chapter):
    """In the built page (the book's or the one-chapter build), each explorer's spec was read and its API
    registered, with no error line and no JavaScript error."""
    built = [p for p in (ROOT / "_build" / "html" / "book" / f"{chapter}.html",
                         ROOT / "_build" / f"chapter-{chapter}" / "_build" / "html" / "book" / f"{chapter}.html")
             if p.exists()]
    if not built:
        pytest.skip(f"the chapter is not built: tools/build_chapter.sh book/{chapter}.ipynb or make book")
    for path in built:
        page, remote, errors, _ = open_offline(browser, path)
        specs = page.evaluate("""Array.from(document.querySelectorAll('script.unsup-spec')).map(s =>
            [s.id.replace(/-spec$/, ''), s.dataset.kind, !!s.dataset.started])""")
        assert specs, f"{path.name} shows no explorer"
        for eid, kind, started in specs:
            assert started and page.evaluate(f"!!(window.{KINDS[kind]} && window.{KINDS[kind]}['{eid}'])"), eid
            assert page.inner_text(f"#{eid} .status") == "", f"{path.name}: {eid} reports an error"
        assert not errors and not remote, (errors[:3], remote[:3])
        page.close()
