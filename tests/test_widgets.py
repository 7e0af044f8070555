"""unsup.widgets without a browser: the spec export and its inverse are the same function, every builder's
page fragment carries its JSON spec and the package's JavaScript (the shared runtime first) and nothing else,
controls are labelled, and bad input is refused with a message that says what to do."""

import json
import pathlib
import re
from html.parser import HTMLParser

import pytest
import torch
from torch import nn

from unsup import gan
from unsup.widgets import (
    b64_f32,
    conv_transpose_explorer_html,
    convnet_from_spec,
    convnet_spec,
    elbo_explorer_html,
    elbo_sliders,
    f32_from_b64,
    gan_interpolation_html,
    latent_explorer_html,
    latent_sliders,
    mlp_from_spec,
    mlp_spec,
)
from unsup.widgets.html import JS_FILES, js_source

LIB = pathlib.Path(__file__).resolve().parents[1] / "lib" / "unsup"


class Fragment(HTMLParser):
    """The parts of an explorer's HTML the tests look at: elements with their attributes and ancestors, the
    bodies of <script> elements (with their attributes), and the texts of <label> elements."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.elements, self.scripts, self.stack, self._script = [], [], [], None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs, [t for t, _ in self.stack]))
        if tag == "script":
            self._script = [attrs, ""]
        elif tag not in ("input", "br", "img", "meta"):
            self.stack.append((tag, attrs))

    def handle_endtag(self, tag):
        if tag == "script":
            self.scripts.append(tuple(self._script))
            self._script = None
        elif self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_data(self, data):
        if self._script is not None:
            self._script[1] += data


def spec_of(html):
    (spec,) = [body for attrs, body in Fragment(html).scripts if attrs.get("type") == "application/json"]
    return json.loads(spec)


def small_decoder(seed=0):
    g = torch.Generator().manual_seed(seed)
    net = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Sequential(nn.Linear(16, 16), nn.LeakyReLU(0.3)),
                        nn.Linear(16, 16), nn.ELU(0.7), nn.Linear(16, 16), nn.Tanh(), nn.Identity(),
                        nn.Linear(16, 64), nn.Sigmoid())
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=g))
    return net


def small_generator():
    torch.manual_seed(0)
    G = gan.DCGenerator(z_dim=6, channels=(8, 4))
    with torch.no_grad():  # batch-norm statistics that are not the identity, so the folding is tested
        for m in G.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.3, 0.3)
    return G.eval()


def every_explorer():
    anchors = torch.randn(4, 6, generator=torch.Generator().manual_seed(1))
    return {"latent": latent_explorer_html(small_decoder(), image_shape=(8, 8), codes=torch.randn(20, 2),
                                           labels=torch.randint(10, (20,)), title="a </script> title"),
            "gan": gan_interpolation_html(small_generator(), anchors),
            "convt": conv_transpose_explorer_html(),
            "elbo": elbo_explorer_html(1.5, 0.2, 0.7)}


# --- the spec and its inverse ---

def test_b64_f32_round_trips_float32_bit_for_bit():
    t = torch.randn(5, 7, dtype=torch.float64)
    back = f32_from_b64(b64_f32(t))
    assert back.dtype == torch.float32 and torch.equal(back, t.float().flatten())
    with pytest.raises(ValueError, match="whole number of float32"):
        f32_from_b64(b64_f32(t)[:-4] + "AA==")
    with pytest.raises(ValueError):
        f32_from_b64("not base64!")


def test_mlp_spec_round_trips_every_activation_of_the_table():
    net = small_decoder()
    layers = mlp_spec(net)
    assert [layer["type"] for layer in layers] == ["linear", "relu", "linear", "leaky_relu", "linear", "elu",
                                                   "linear", "tanh", "identity", "linear", "sigmoid"]
    assert layers[3]["slope"] == pytest.approx(0.3) and layers[5]["alpha"] == pytest.approx(0.7)
    rebuilt = mlp_from_spec(layers)
    z = torch.randn(9, 2)
    with torch.no_grad():
        assert torch.equal(rebuilt(z), net(z))  # float32 weights in, the same float32 function out
    # the spec carries the weights: another decoder gives another spec and another function
    other = mlp_from_spec(mlp_spec(small_decoder(seed=1)))
    with torch.no_grad():
        assert not torch.allclose(other(z), net(z))


def test_convnet_spec_folds_batch_norm_and_round_trips():
    G = small_generator()
    layers = convnet_spec(G)
    assert "affine" in [layer["type"] for layer in layers]
    z = torch.randn(5, 6)
    with torch.no_grad():
        torch.testing.assert_close(convnet_from_spec(layers)(z), G(z), atol=1e-5, rtol=1e-5)
        # in training mode batch norm uses the batch's statistics, not the folded running ones
        G.train()
        assert not torch.allclose(convnet_from_spec(layers)(z), G(z), atol=1e-3)


def test_bad_networks_and_specs_are_refused_with_what_to_do():
    with pytest.raises(TypeError, match="cannot run in the browser.*Linear"):
        mlp_spec(nn.Sequential(nn.Linear(2, 4), nn.Softplus()))
    with pytest.raises(TypeError, match="cannot run in the browser"):
        convnet_spec(nn.Sequential(nn.ConvTranspose2d(6, 1, 4), nn.Dropout()))
    with pytest.raises(TypeError, match="output_padding"):
        convnet_spec(nn.Sequential(nn.ConvTranspose2d(6, 1, 4, stride=2, output_padding=1)))
    with pytest.raises(ValueError, match="unknown layer type 'gelu'"):
        mlp_from_spec([{"type": "gelu"}])
    layer = mlp_spec(nn.Linear(2, 3))[0]
    with pytest.raises(ValueError, match="shape"):
        mlp_from_spec([{**layer, "out": 4}])


# --- the HTML builders ---

def test_every_builder_emits_its_spec_and_loads_the_shared_runtime_then_its_own_script():
    decoder, G = small_decoder(), small_generator()
    anchors = torch.randn(4, 6, generator=torch.Generator().manual_seed(1))
    html = every_explorer()
    spec = spec_of(html["latent"])
    assert spec["layers"] == mlp_spec(decoder) and (spec["h"], spec["w"]) == (8, 8)
    spec = spec_of(html["gan"])
    assert spec["layers"] == convnet_spec(G)
    assert torch.tensor(spec["anchors"]).equal(anchors.double()) and spec["size"] == 28
    spec = spec_of(html["convt"])
    assert (spec["n"], spec["k"], spec["s"], spec["p"], spec["op"]) == (2, 3, 2, 1, 1)
    assert spec["sizes"]["2,3,2,1,1"] == 4 and "less padding" in spec["sizes"]["1,1,1,2,0"]
    assert spec_of(html["elbo"])["w"] == 1.5 and spec_of(html["elbo"])["sigma"] == 0.7
    for kind, page in html.items():
        parsed = Fragment(page)
        (spec_attrs,) = [a for a, _ in parsed.scripts if a.get("type") == "application/json"]
        assert spec_attrs["data-kind"] == kind and spec_attrs["class"] == "unsup-spec"
        root = spec_attrs["id"].removesuffix("-spec")
        assert parsed.elements[0][1]["id"] == root  # the spec names the element it belongs to
        bodies = [body for a, body in parsed.scripts if a.get("type") != "application/json"]
        assert [b.strip() for b in bodies] == [js_source("runtime.js").strip(), js_source(f"{kind}.js").strip()]


def test_no_javascript_in_a_page_comes_from_anywhere_but_the_js_files():
    files = {js_source(name).strip() for name in JS_FILES}
    for kind, page in every_explorer().items():
        parsed = Fragment(page)
        for attrs, body in parsed.scripts:
            assert attrs.get("type") == "application/json" or body.strip() in files, kind
        assert len(parsed.scripts) == page.count("<script"), f"{kind}: a <script> the parser did not see"
        handlers = [(tag, k) for tag, attrs, _ in parsed.elements for k in attrs if k.startswith("on")]
        assert not handlers, f"{kind}: inline event handlers {handlers}"
        assert "javascript:" not in page


def test_no_python_file_holds_a_script_body():
    """Every <script ...> written in the library's Python is followed by an interpolated value, never code."""
    for path in LIB.rglob("*.py"):
        text = path.read_text()
        for m in re.finditer(r"<script[^>]*>", text):
            rest = text[m.end():m.end() + 40]
            assert re.match(r"(\\n)?\{", rest), f"{path.name}: a script body in Python: {m.group()}{rest}"


def test_controls_and_canvases_are_named_for_screen_readers():
    for kind, page in every_explorer().items():
        for tag, attrs, ancestors in Fragment(page).elements:
            if tag in ("input", "select"):
                assert "label" in ancestors or attrs.get("aria-label"), f"{kind}: unlabelled {tag} {attrs}"
            if tag == "canvas":
                assert attrs.get("role") and attrs.get("aria-label"), f"{kind}: canvas {attrs.get('class')}"
    (plane,) = [a for t, a, _ in Fragment(every_explorer()["latent"]).elements if a.get("class") == "plane"]
    assert plane["tabindex"] == "0"  # reachable with Tab: the arrow keys move the point


def test_latent_explorer_opens_on_a_meaningful_point():
    decoder = small_decoder()
    codes = torch.tensor([[1.25, -0.5], [0.0, 2.0]])
    assert spec_of(latent_explorer_html(decoder, image_shape=(8, 8)))["start"] == [0.0, 0.0]
    assert spec_of(latent_explorer_html(decoder, image_shape=(8, 8), codes=codes))["start"] == [1.25, -0.5]
    far = torch.tensor([[3.5, 0.0], [-1.0, 2.5], [0.0, 0.0]])  # the first code off the plane [-3, 3]^2
    assert spec_of(latent_explorer_html(decoder, image_shape=(8, 8), codes=far))["start"] == [-1.0, 2.5]
    assert spec_of(latent_explorer_html(decoder, image_shape=(8, 8), codes=far[:1]))["start"] == [0.0, 0.0]
    assert spec_of(latent_explorer_html(decoder, image_shape=(8, 8), codes=codes, start=(0.5, 1)))["start"] == [0.5, 1]
    assert spec_of(gan_interpolation_html(small_generator(), torch.randn(3, 6), start=2, end=0))["from"] == 2


def test_builders_refuse_bad_input_saying_what_to_do():
    decoder, G = small_decoder(), small_generator()
    with pytest.raises(ValueError, match="2 inputs"):
        latent_explorer_html(nn.Sequential(nn.Linear(3, 64)), image_shape=(8, 8))
    with pytest.raises(ValueError, match="needs 784"):
        latent_explorer_html(decoder)
    with pytest.raises(ValueError, match="on the plane.*larger extent"):
        latent_explorer_html(decoder, image_shape=(8, 8), start=(4.0, 0.0))
    with pytest.raises(ValueError, match=r"start must be a point \(z1, z2\)"):
        latent_explorer_html(decoder, image_shape=(8, 8), start=(0.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="3 codes but 2 labels"):
        latent_explorer_html(decoder, image_shape=(8, 8), codes=torch.zeros(3, 2), labels=[0, 1])
    with pytest.raises(ValueError, match="HTML id"):
        latent_explorer_html(decoder, image_shape=(8, 8), element_id="x'); alert(1); ('")
    with pytest.raises(ValueError, match="anchors"):
        gan_interpolation_html(G, torch.randn(3, 5))
    with pytest.raises(ValueError, match="two different anchors"):
        gan_interpolation_html(G, torch.randn(3, 6), start=1, end=1)
    with pytest.raises(ValueError, match="sliders' ranges"):
        conv_transpose_explorer_html(n=9)
    with pytest.raises(ValueError, match="sigma must be positive"):
        elbo_explorer_html(sigma=0.0)


# --- the ipywidgets twins (kernel only) ---

def test_latent_sliders_redraw_from_the_decoder():
    seen = []

    def decode(z):
        seen.append(z.clone())
        return torch.full((1, 1, 28, 28), 0.5)

    box = latent_sliders(decode, 4, dims=[1, 3], z0=[0.1, 0.2, 0.3, 0.4])
    sliders = box.children[0].children
    assert [s.description for s in sliders] == ["z[1]", "z[3]"]
    png = box.children[1].value
    sliders[1].value = -1.5
    assert seen[-1][0].tolist() == pytest.approx([0.1, 0.2, 0.3, -1.5])
    assert bytes(png).startswith(b"\x89PNG")


def test_elbo_sliders_show_the_identity_log_px_equals_elbo_plus_kl():
    box = elbo_sliders(2.0, 0.0, 1.0, 1.5)
    text = box.children[1].children[1].value
    nums = dict(re.findall(r"^(\S[^=]*?)\s*= (-?\d+\.\d+)$", text.removeprefix("<pre>").removesuffix("</pre>"), re.M))
    assert float(nums["ELBO + KL"]) == pytest.approx(float(nums["log p(x)"]), abs=1e-3)
