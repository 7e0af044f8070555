"""The latent explorers (the VAE chapter's, and chapter 1's autoencoder) run in a browser with no kernel:
headless Chromium (offline) moves the pointer over the latent plane, or focuses it and presses the arrow keys,
the image changes, and the pixels the page decodes match PyTorch's. Each explorer opens on its start point (in
a chapter, the code of a real image).

Runs on an explorer written to a temporary file for a small decoder, and on the built chapter pages when they
exist (rebuilding, from the weights embedded in the page alone, the decoder that page runs)."""

import json
import pathlib

import pytest
import torch
from offline_browser import open_offline
from torch import nn

from unsup.widgets import latent_explorer_html, mlp_from_spec

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHAPTERS = ["01_autoencoders_pca", "04_vae"]  # the chapters with a latent explorer


def built_pages(chapter):
    """The chapter's page in the book's build and in its one-chapter build, where they exist."""
    return [p for p in (ROOT / "_build" / "html" / "book" / f"{chapter}.html",
                        ROOT / "_build" / f"chapter-{chapter}" / "_build" / "html" / "book" / f"{chapter}.html")
            if p.exists()]
pytestmark = pytest.mark.browser


def explorer_ids(page):
    n = page.evaluate("document.querySelectorAll('.unsup-explorer').length")
    assert n > 0, f"no latent explorer on {page.url} (is the page built from the current chapter?)"
    page.wait_for_function("window.unsupExplorers && Object.keys(window.unsupExplorers).length > 0", timeout=15000)
    return page.evaluate("Object.keys(window.unsupExplorers)")


def spec_of(page, eid):
    return json.loads(page.evaluate(f"document.getElementById('{eid}-spec').textContent"))


def image_of(page, eid):
    return page.evaluate(f"document.querySelector('#{eid} canvas.image').toDataURL()")


def check_pixels(page, eid, decoder):
    """The pixels drawn last are the decoder's output at the point drawn last."""
    api = f"window.unsupExplorers['{eid}']"
    z = page.evaluate(f"{api}.z")
    pixels = torch.tensor(page.evaluate(f"{api}.pixels"), dtype=torch.float64)
    with torch.no_grad():
        ref = decoder(torch.tensor([z], dtype=torch.float32))[0].double()
    assert pixels.shape == ref.shape and (pixels - ref).abs().max().item() < 1e-4
    return z


def check_opening(page, eid, decoder):
    """Before any input the explorer shows its start point, and the readout says where it is."""
    spec = spec_of(page, eid)
    z = check_pixels(page, eid, decoder)
    assert z == pytest.approx(spec["start"], abs=1e-12)
    assert page.inner_text(f"#{eid} .readout") == f"z = ({spec['start'][0]:.2f}, {spec['start'][1]:.2f})"
    return spec


def check_keyboard(page, eid, decoder):
    """Focus the plane, press arrow keys: the point moves by the spec's step (ten with Shift), the image changes
    and stays PyTorch's; Home goes back to the start."""
    api = f"window.unsupExplorers['{eid}']"
    spec = spec_of(page, eid)
    start, step, extent = spec["start"], spec["step"], spec["extent"]
    page.evaluate(f"{api}.setZ({start})")
    plane = page.locator(f"#{eid} canvas.plane")
    plane.focus()
    assert page.evaluate(f"document.activeElement === document.querySelector('#{eid} canvas.plane')")
    expected, images = list(start), [image_of(page, eid)]
    for key, dz in [("ArrowRight", (1, 0)), ("ArrowUp", (0, 1)), ("Shift+ArrowLeft", (-10, 0)),
                    ("Shift+ArrowDown", (0, -10))]:
        before = page.evaluate(f"{api}.updates")
        page.keyboard.press(key)
        assert page.evaluate(f"{api}.updates") == before + 1, f"{key} did not redraw"
        expected = [min(extent, max(-extent, e + d * step)) for e, d in zip(expected, dz)]
        assert check_pixels(page, eid, decoder) == pytest.approx(expected, abs=1e-9), key
        images.append(image_of(page, eid))
    assert len(set(images)) == len(images), "an arrow key did not change the drawn image"
    page.keyboard.press("Home")
    assert page.evaluate(f"{api}.z") == pytest.approx(start, abs=1e-12)


def check_explorer(page, eid, decoder):
    """Pointer moves change the drawn image; browser pixels == PyTorch pixels at the pointer and at fixed z."""
    api = f"window.unsupExplorers['{eid}']"
    plane = page.locator(f"#{eid} canvas.plane")
    plane.scroll_into_view_if_needed()
    box = plane.bounding_box()
    assert box is not None and box["width"] > 50, "the latent plane is not visible"
    drawn = []
    for fx, fy in [(0.2, 0.3), (0.75, 0.6), (0.5, 0.9)]:
        before = page.evaluate(f"{api}.updates")
        page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        page.wait_for_function(f"{api}.updates > {before}", timeout=5000)
        z = page.evaluate(f"{api}.z")
        pixels = torch.tensor(page.evaluate(f"{api}.pixels"), dtype=torch.float64)
        # the pointer position maps to the plane's coordinates: right is +z1, up is +z2
        extent = spec_of(page, eid)["extent"]
        assert z[0] == pytest.approx(-extent + 2 * extent * fx, abs=0.05 * extent)
        assert z[1] == pytest.approx(extent - 2 * extent * fy, abs=0.05 * extent)
        with torch.no_grad():
            ref = decoder(torch.tensor([z], dtype=torch.float32))[0].double()
        assert (pixels - ref).abs().max().item() < 1e-4
        drawn.append(image_of(page, eid))
    assert len(set(drawn)) == len(drawn), "moving the pointer did not change the drawn image"
    for z in ([0.0, 0.0], [1.3, -0.7], [-2.1, 2.4]):
        pixels = torch.tensor(page.evaluate(f"{api}.decode({z})"), dtype=torch.float64)
        with torch.no_grad():
            ref = decoder(torch.tensor([z]))[0].double()
        assert pixels.shape == ref.shape
        assert (pixels - ref).abs().max().item() < 1e-4


def test_explorer_for_a_small_decoder_matches_pytorch(browser, tmp_path):
    g = torch.Generator().manual_seed(0)
    decoder = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 64), nn.LeakyReLU(0.2),
                            nn.Linear(64, 784), nn.Sigmoid())
    with torch.no_grad():
        for p in decoder.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.8)
    codes = torch.randn(300, 2, generator=g)
    labels = torch.randint(10, (300,), generator=g)
    html = latent_explorer_html(decoder, codes=codes, labels=labels, title="test explorer")
    path = tmp_path / "explorer.html"
    path.write_text(f"<!doctype html><html><head><meta charset='utf-8'></head><body>{html}</body></html>")
    page, remote, errors, _ = open_offline(browser, path)
    (eid,) = explorer_ids(page)
    spec = check_opening(page, eid, decoder)
    assert spec["start"] == pytest.approx(codes[0].tolist())  # by default, the first code given
    check_explorer(page, eid, decoder)
    check_keyboard(page, eid, decoder)
    assert not remote and not errors, (remote, errors)
    page.close()


def test_explorer_is_operable_from_the_keyboard_alone(browser, tmp_path):
    """Tab reaches the plane; arrow keys move the point and redraw; the page does not scroll meanwhile."""
    decoder = nn.Sequential(nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 784), nn.Sigmoid())
    with torch.no_grad():
        for p in decoder.parameters():
            p.copy_(torch.randn(p.shape, generator=torch.Generator().manual_seed(3)) * 2)
    html = latent_explorer_html(decoder, start=(0.5, -1.0), element_id="kb")
    path = tmp_path / "explorer.html"
    tall = "<div style='height:3000px'></div>"  # a page that could scroll, so arrow keys must not
    path.write_text(f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>t</title></head>"
                    f"<body>{html}{tall}</body></html>")
    page, remote, errors, _ = open_offline(browser, path, viewport={"width": 900, "height": 600})
    explorer_ids(page)
    assert check_opening(page, "kb", decoder)["start"] == [0.5, -1.0]
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "plane"
    before = page.evaluate("window.unsupExplorers.kb.updates")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("window.unsupExplorers.kb.updates") == before + 2
    assert page.evaluate("window.scrollY") == 0, "the arrow keys scrolled the page instead of only moving z"
    check_keyboard(page, "kb", decoder)
    assert not remote and not errors, (remote, errors)
    page.close()


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_explorer_in_the_built_chapter(browser, chapter):
    built = built_pages(chapter)
    if not built:
        pytest.skip(f"the chapter is not built: tools/build_chapter.sh book/{chapter}.ipynb or make book")
    for path in built:
        page, remote, errors, _ = open_offline(browser, path)
        ids = explorer_ids(page)
        for eid in ids:
            spec = spec_of(page, eid)
            decoder = mlp_from_spec(spec["layers"])
            check_opening(page, eid, decoder)
            if spec["points"]:  # it opens on the code of a real image, not on an empty spot of the plane
                nearest = min(abs(p[0] - spec["start"][0]) + abs(p[1] - spec["start"][1]) for p in spec["points"])
                assert nearest < 0.01, f"the explorer opens at {spec['start']}, not on one of its codes"
            check_explorer(page, eid, decoder)
            check_keyboard(page, eid, decoder)
        assert not remote, f"{path} tried to fetch from the network: {remote[:3]}"
        assert not errors, f"JavaScript errors on {path}: {errors[:3]}"
        page.close()
