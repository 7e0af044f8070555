"""The GAN chapter's interpolation explorer runs in a browser with no kernel: headless Chromium (offline) moves
the slider and picks codes, with the pointer and with the keyboard, the image changes, and the pixels the page
computes match PyTorch's generator. The explorer opens on an anchor (t = 0).

Runs on an explorer written to a temporary file for a small random DCGAN generator, and on the built chapter
page when it exists (rebuilding, from the weights embedded in the page alone, the generator that page runs)."""

import json
import pathlib

import pytest
import torch
from offline_browser import open_offline

import unsup
from unsup import gan
from unsup.widgets import convnet_from_spec, gan_interpolation_html

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUILT = [ROOT / "_build" / "html" / "book" / "05_gan.html",
         ROOT / "_build" / "chapter-05_gan" / "_build" / "html" / "book" / "05_gan.html"]
pytestmark = pytest.mark.browser


def explorer_ids(page):
    n = page.evaluate("document.querySelectorAll('.unsup-gan-explorer').length")
    assert n > 0, f"no GAN explorer on {page.url} (is the page built from the current chapter?)"
    page.wait_for_function("window.unsupGanExplorers && Object.keys(window.unsupGanExplorers).length > 0",
                           timeout=15000)
    return page.evaluate("Object.keys(window.unsupGanExplorers)")


def image_of(page, eid):
    return page.evaluate(f"document.querySelector('#{eid} canvas.image').toDataURL()")


def check_opening(page, eid, generator, anchors):
    """Before any input the explorer shows its start anchor: t = 0, z = that anchor, G(z) drawn."""
    api = f"window.unsupGanExplorers['{eid}']"
    state = page.evaluate(f"{api}.state")
    assert state["t"] == 0 and state["from"] != state["to"]
    z = torch.tensor(page.evaluate(f"{api}.z"), dtype=torch.float64)
    assert torch.allclose(z, anchors[state["from"]], atol=1e-12)
    pixels = torch.tensor(page.evaluate(f"{api}.pixels"), dtype=torch.float64)
    with torch.no_grad():
        ref = generator(anchors[state["from"]][None].float()).flatten().double()
    assert (pixels - ref).abs().max().item() < 1e-4


def check_keyboard(page, eid, generator, anchors):
    """Tab-reachable controls do everything the pointer does: the anchor buttons (Enter: start here), the end
    menu (arrow keys), the t slider (arrow keys, End) and the path kind (radio, arrow keys)."""
    api = f"window.unsupGanExplorers['{eid}']"
    page.evaluate(f"{api}.set({{from: 0, to: 1, t: 0, kind: 'linear'}})")
    button = page.locator(f"#{eid} .anchors button").nth(2)
    button.focus()
    assert page.evaluate(f"document.activeElement.closest('#{eid} .anchors') !== null")
    assert button.get_attribute("aria-label").startswith("code 2")
    page.keyboard.press("Enter")
    assert page.evaluate(f"{api}.state.from") == 2 and button.get_attribute("aria-pressed") == "true"
    page.locator(f"#{eid} select.to").focus()
    page.keyboard.press("ArrowDown")
    assert page.evaluate(f"{api}.state.to") == 2, "the end menu did not move to the next code"
    page.keyboard.press("ArrowDown")
    assert page.evaluate(f"{api}.state.to") == 3
    slider = page.locator(f"#{eid} input.t")
    slider.focus()
    images = [image_of(page, eid)]
    for key, t in [("End", 1.0), ("ArrowLeft", 0.99), ("PageDown", None)]:
        before = page.evaluate(f"{api}.updates")
        page.keyboard.press(key)
        assert page.evaluate(f"{api}.updates") > before, f"{key} on the slider did not redraw"
        if t is not None:
            assert page.evaluate(f"{api}.state.t") == pytest.approx(t)
    images.append(image_of(page, eid))
    assert len(set(images)) == 2, "the keyboard did not change the drawn image"
    before = page.evaluate(f"{api}.updates")
    page.locator(f"#{eid} input[value=linear]").focus()
    page.keyboard.press("ArrowRight")  # in a radio group: the next option, selected
    assert page.evaluate(f"{api}.state.kind") == "slerp" and page.evaluate(f"{api}.updates") > before


def check_explorer(page, eid, generator, anchors):
    api = f"window.unsupGanExplorers['{eid}']"
    slider = page.locator(f"#{eid} input.t")
    slider.scroll_into_view_if_needed()
    drawn = []
    for t in (0.0, 0.3, 1.0):
        before = page.evaluate(f"{api}.updates")
        slider.fill(str(t))  # fires the input event, as dragging does
        page.wait_for_function(f"{api}.updates > {before}", timeout=5000)
        drawn.append(page.evaluate(f"document.querySelector('#{eid} canvas.image').toDataURL()"))
    assert len(set(drawn)) == len(drawn), "moving t did not change the drawn image"
    # a click on a thumbnail picks the start, shift-click the end
    thumbs = page.locator(f"#{eid} .anchors canvas")
    thumbs.nth(2).click()
    thumbs.nth(3).click(modifiers=["Shift"])
    assert page.evaluate(f"[{api}.state.from, {api}.state.to]") == [2, 3]
    for kind in ("linear", "slerp"):
        page.locator(f"#{eid} input[value={kind}]").check()
        page.evaluate(f"{api}.set({{t: 0.4}})")
        z = torch.tensor(page.evaluate(f"{api}.z"), dtype=torch.float64)
        ref_z = gan.interpolate(anchors[2], anchors[3], 6, kind)[2]  # t = 0.4 is step 2 of 6
        assert (z - ref_z).abs().max().item() < 1e-6, kind
        pixels = torch.tensor(page.evaluate(f"{api}.pixels"), dtype=torch.float64)
        with torch.no_grad():
            ref = generator(ref_z[None].float()).flatten().double()
        assert (pixels - ref).abs().max().item() < 1e-4, kind
    for seed in (0, 1):
        z = torch.randn(anchors.shape[1], generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
        pixels = torch.tensor(page.evaluate(f"{api}.decode({z.tolist()})"), dtype=torch.float64)
        with torch.no_grad():
            ref = generator(z[None].float()).flatten().double()
        assert pixels.shape == ref.shape and (pixels - ref).abs().max().item() < 1e-4


def test_explorer_for_a_small_generator_matches_pytorch(browser, tmp_path):
    unsup.seed_everything(0)
    G = gan.DCGenerator(z_dim=6, channels=(8, 4))
    with torch.no_grad():  # batch-norm statistics that are not the identity, so the folding is tested
        for m in G.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.3, 0.3)
    G.eval()
    anchors = torch.randn(5, 6, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    html = gan_interpolation_html(G, anchors, title="test explorer")
    path = tmp_path / "explorer.html"
    path.write_text(f"<!doctype html><html><head><meta charset='utf-8'></head><body>{html}</body></html>")
    page, remote, errors, _ = open_offline(browser, path)
    (eid,) = explorer_ids(page)
    check_opening(page, eid, G, anchors)
    check_explorer(page, eid, G, anchors)
    check_keyboard(page, eid, G, anchors)
    # the rebuilt generator (what the built-page test uses) is the same function
    spec = json.loads(page.evaluate(f"document.getElementById('{eid}-spec').textContent"))
    z = anchors.float()
    with torch.no_grad():
        torch.testing.assert_close(convnet_from_spec(spec["layers"])(z), G(z), atol=1e-5, rtol=1e-5)
    assert not remote and not errors, (remote, errors)
    page.close()


def test_explorer_in_the_built_chapter(browser):
    built = [p for p in BUILT if p.exists()]
    if not built:
        pytest.skip("the GAN chapter is not built: tools/build_chapter.sh book/05_gan.ipynb or make book")
    for path in built:
        page, remote, errors, _ = open_offline(browser, path)
        for eid in explorer_ids(page):
            spec = json.loads(page.evaluate(f"document.getElementById('{eid}-spec').textContent"))
            generator = convnet_from_spec(spec["layers"])
            anchors = torch.tensor(spec["anchors"], dtype=torch.float64)
            check_opening(page, eid, generator, anchors)
            check_explorer(page, eid, generator, anchors)
            check_keyboard(page, eid, generator, anchors)
        assert not remote, f"{path} tried to fetch from the network: {remote[:3]}"
        assert not errors, f"JavaScript errors on {path}: {errors[:3]}"
        page.close()
