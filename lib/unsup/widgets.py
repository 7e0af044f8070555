"""Interactive explorers. Functions here return ipywidgets (live with a kernel) or HTML strings with
embedded JavaScript (live in the rendered book, no kernel). Nothing is displayed at import."""

from __future__ import annotations

# --- The variational autoencoder ---

_EXPLORER_ACTIVATIONS = {"ReLU": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "LeakyReLU": "leaky_relu",
                         "Identity": "identity"}
_TAB10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
          "#bcbd22", "#17becf"]


def mlp_spec(decoder) -> list[dict]:
    """An MLP (``nn.Sequential`` of Linear, ReLU, LeakyReLU, Sigmoid, Tanh, Identity) as a list of layer dicts,
    each Linear's weight ``(out, in)`` row-major and bias as base64 little-endian float32 (what the browser
    reads back bit for bit). Anything else raises, naming the layer."""
    import base64

    import numpy as np
    from torch import nn

    modules = list(decoder) if isinstance(decoder, nn.Sequential) else [decoder]
    layers = []
    for i, m in enumerate(modules):
        if isinstance(m, nn.Sequential):
            layers += mlp_spec(m)
        elif isinstance(m, nn.Linear):
            w = m.weight.detach().cpu().to(dtype=__import__("torch").float32).numpy()
            b = (m.bias.detach().cpu().float().numpy() if m.bias is not None
                 else np.zeros(m.out_features, dtype=np.float32))
            layers.append({"type": "linear", "in": m.in_features, "out": m.out_features,
                           "W": base64.b64encode(np.ascontiguousarray(w, dtype="<f4").tobytes()).decode("ascii"),
                           "b": base64.b64encode(np.ascontiguousarray(b, dtype="<f4").tobytes()).decode("ascii")})
        elif type(m).__name__ in _EXPLORER_ACTIVATIONS:
            layer = {"type": _EXPLORER_ACTIVATIONS[type(m).__name__]}
            if isinstance(m, nn.LeakyReLU):
                layer["slope"] = float(m.negative_slope)
            layers.append(layer)
        else:
            raise TypeError(f"layer {i} ({type(m).__name__}) cannot run in the browser explorer: use an "
                            "nn.Sequential of Linear, ReLU, LeakyReLU, Sigmoid, Tanh and Identity layers")
    return layers


def mlp_from_spec(layers: list[dict]):
    """The inverse of ``mlp_spec``: the ``nn.Sequential`` whose float32 weights are those in the spec.
    Used by the browser test to rebuild, from a built page alone, the decoder that page runs."""
    import base64

    import numpy as np
    import torch
    from torch import nn

    modules = []
    for layer in layers:
        kind = layer["type"]
        if kind == "linear":
            lin = nn.Linear(layer["in"], layer["out"])
            w = np.frombuffer(base64.b64decode(layer["W"]), dtype="<f4").reshape(layer["out"], layer["in"])
            b = np.frombuffer(base64.b64decode(layer["b"]), dtype="<f4")
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(w.copy()))
                lin.bias.copy_(torch.from_numpy(b.copy()))
            modules.append(lin)
        else:
            modules.append({"relu": nn.ReLU(), "sigmoid": nn.Sigmoid(), "tanh": nn.Tanh(), "identity": nn.Identity(),
                            "leaky_relu": nn.LeakyReLU(layer.get("slope", 0.01))}[kind])
    return nn.Sequential(*modules)


def latent_explorer_html(decoder, *, image_shape=(28, 28), extent: float = 3.0, codes=None, labels=None,
                         class_names=None, value_range=(0.0, 1.0), max_points: int = 2000, title: str | None = None,
                         plane_px: int = 320, image_px: int = 224, element_id: str | None = None) -> str:
    """A 2-D latent explorer that runs in the rendered page with no kernel: an HTML string with a canvas for
    the latent plane ``[-extent, extent]^2`` and one for the decoded image. The decoder's weights are embedded
    (base64 float32) and evaluated by JavaScript as the pointer moves over the plane.

    ``decoder``: an ``nn.Sequential`` of Linear/ReLU/LeakyReLU/Sigmoid/Tanh layers mapping ``(2,)`` to
    ``prod(image_shape)`` values (e.g. ``MLPVAE.decoder_mean_net()``, or a GAN's MLP generator with
    ``value_range=(-1, 1)`` for a Tanh output). ``codes (N, 2)`` and ``labels`` draw the encoded data behind
    the plane, coloured by class (at most ``max_points`` of them). Display it with ``IPython.display.HTML``.

    The page exposes ``window.unsupExplorers[element_id]`` with ``decode([z1, z2])`` (the decoder's output),
    ``setZ([z1, z2])``, ``z`` and ``pixels`` (the last drawn point and output), for tests and the curious.
    """
    import hashlib
    import html as html_lib
    import json
    import math

    import torch

    layers = mlp_spec(decoder)
    linears = [layer for layer in layers if layer["type"] == "linear"]
    if not linears:
        raise ValueError("the decoder has no Linear layer")
    if linears[0]["in"] != 2:
        raise ValueError(f"the explorer is a 2-D plane: the decoder's first Linear layer must take 2 inputs, "
                         f"not {linears[0]['in']}")
    h, w = image_shape[-2], image_shape[-1]
    if linears[-1]["out"] != h * w or math.prod(image_shape) != h * w:
        raise ValueError(f"the decoder outputs {linears[-1]['out']} values; a single-channel image of shape "
                         f"{tuple(image_shape)} needs {h * w}")
    points = []
    if codes is not None:
        codes = torch.as_tensor(codes).detach().cpu().float()
        if codes.dim() != 2 or codes.shape[1] != 2:
            raise ValueError(f"codes must have shape (N, 2); got {tuple(codes.shape)}")
        lab = (torch.zeros(len(codes), dtype=torch.long) if labels is None
               else torch.as_tensor(labels).detach().cpu().long())
        if len(lab) != len(codes):
            raise ValueError(f"{len(codes)} codes but {len(lab)} labels")
        for (a, b), c in zip(codes[:max_points].tolist(), lab[:max_points].tolist()):
            points.append([round(a, 3), round(b, 3), int(c)])
    if class_names is None and labels is not None:
        from .data import CLASSES as class_names
    spec = {"layers": layers, "h": h, "w": w, "extent": float(extent), "lo": float(value_range[0]),
            "hi": float(value_range[1]), "points": points, "colors": _TAB10,
            "classes": list(class_names) if class_names is not None and labels is not None else []}
    blob = json.dumps(spec, separators=(",", ":"))
    eid = element_id or "unsup-explorer-" + hashlib.sha256(blob.encode()).hexdigest()[:10]
    swatch = '<span style="display:inline-block;width:10px;height:10px;background:{};margin-right:3px"></span>'
    legend = "".join(f'<span style="white-space:nowrap;margin-right:10px">{swatch.format(_TAB10[i % 10])}'
                     f'{html_lib.escape(str(n))}</span>' for i, n in enumerate(spec["classes"]))
    axes = (f"z<sub>1</sub> from {-extent:g} to {extent:g} (right), "
            f"z<sub>2</sub> from {-extent:g} to {extent:g} (up)")
    heading = f"<p style='font-weight:bold;margin:0 0 6px 0'>{html_lib.escape(title)}</p>" if title else ""
    return f"""<div id="{eid}" class="unsup-explorer" style="font-family:sans-serif;font-size:13px;margin:8px 0">
{heading}<div style="display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start">
<div><canvas class="plane" width="{plane_px}" height="{plane_px}" tabindex="0"
 aria-label="latent plane: move the pointer"
 style="border:1px solid #999;cursor:crosshair;touch-action:none;background:#fff"></canvas>
<div style="text-align:center">{axes}</div></div>
<div><canvas class="image" width="{image_px}" height="{image_px}"
 style="border:1px solid #999;image-rendering:pixelated"></canvas>
<div class="readout" style="font-family:monospace;text-align:center">z = (0.00, 0.00)</div></div></div>
<div style="margin-top:6px">{legend}</div>
<div class="status" style="color:#a00"></div>
</div>
<script type="application/json" id="{eid}-spec">{blob}</script>
<script>
(function () {{
  var root = document.getElementById("{eid}");
  var spec = JSON.parse(document.getElementById("{eid}-spec").textContent);
  function f32(s) {{
    var bin = atob(s), u = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i);
    return new Float32Array(u.buffer);
  }}
  var layers = spec.layers.map(function (l) {{
    return l.type === "linear" ? {{type: "linear", nin: l["in"], nout: l.out, W: f32(l.W), b: f32(l.b)}} : l;
  }});
  // the decoder: h <- W h + b, then the activation, layer by layer (W is (out, in), row-major)
  function decode(z) {{
    var h = Float64Array.from(z);
    for (var k = 0; k < layers.length; k++) {{
      var l = layers[k], o;
      if (l.type === "linear") {{
        o = new Float64Array(l.nout);
        for (var j = 0; j < l.nout; j++) {{
          var s = l.b[j], off = j * l.nin;
          for (var i = 0; i < l.nin; i++) s += l.W[off + i] * h[i];
          o[j] = s;
        }}
        h = o;
      }} else if (l.type === "relu") {{ for (var i = 0; i < h.length; i++) h[i] = h[i] > 0 ? h[i] : 0; }}
      else if (l.type === "leaky_relu") {{
        for (var i = 0; i < h.length; i++) h[i] = h[i] > 0 ? h[i] : l.slope * h[i];
      }}
      else if (l.type === "sigmoid") {{ for (var i = 0; i < h.length; i++) h[i] = 1 / (1 + Math.exp(-h[i])); }}
      else if (l.type === "tanh") {{ for (var i = 0; i < h.length; i++) h[i] = Math.tanh(h[i]); }}
    }}
    return h;
  }}
  var plane = root.querySelector("canvas.plane"), img = root.querySelector("canvas.image");
  var P = plane.width, E = spec.extent, pctx = plane.getContext("2d"), ictx = img.getContext("2d");
  var small = document.createElement("canvas"); small.width = spec.w; small.height = spec.h;
  var sctx = small.getContext("2d"), data = sctx.createImageData(spec.w, spec.h);
  function toPx(z) {{ return [(z[0] + E) / (2 * E) * P, (E - z[1]) / (2 * E) * P]; }}
  function toZ(px, py) {{ return [px / P * 2 * E - E, E - py / P * 2 * E]; }}
  var background = document.createElement("canvas"); background.width = P; background.height = P;
  (function () {{
    var b = background.getContext("2d");
    b.fillStyle = "#fff"; b.fillRect(0, 0, P, P);
    b.globalAlpha = 0.55;
    spec.points.forEach(function (p) {{
      var q = toPx(p); b.fillStyle = spec.colors[p[2] % 10]; b.fillRect(q[0] - 1.5, q[1] - 1.5, 3, 3);
    }});
    b.globalAlpha = 1; b.strokeStyle = "#bbb"; b.lineWidth = 1;
    for (var t = Math.ceil(-E); t <= E; t++) {{
      var a = toPx([t, t]); b.beginPath(); b.moveTo(a[0], 0); b.lineTo(a[0], P); b.moveTo(0, a[1]); b.lineTo(P, a[1]);
      b.stroke(); b.fillStyle = "#666"; b.fillText(String(t), a[0] + 2, P - 3); b.fillText(String(t), 2, a[1] - 2);
    }}
  }})();
  var api = {{decode: function (z) {{ return Array.from(decode(z)); }}, z: null, pixels: null, updates: 0,
             toZ: toZ, toPx: toPx}};
  api.setZ = function (z) {{
    var x = decode(z), lo = spec.lo, hi = spec.hi;
    for (var i = 0; i < spec.w * spec.h; i++) {{
      var v = Math.round(255 * Math.min(1, Math.max(0, (x[i] - lo) / (hi - lo))));
      data.data[4 * i] = data.data[4 * i + 1] = data.data[4 * i + 2] = v; data.data[4 * i + 3] = 255;
    }}
    sctx.putImageData(data, 0, 0);
    ictx.imageSmoothingEnabled = false; ictx.drawImage(small, 0, 0, img.width, img.height);
    pctx.drawImage(background, 0, 0);
    var q = toPx(z); pctx.strokeStyle = "#000"; pctx.lineWidth = 2;
    pctx.beginPath(); pctx.arc(q[0], q[1], 6, 0, 2 * Math.PI); pctx.stroke();
    root.querySelector(".readout").textContent = "z = (" + z[0].toFixed(2) + ", " + z[1].toFixed(2) + ")";
    api.z = [z[0], z[1]]; api.pixels = Array.from(x); api.updates += 1;
  }};
  function onMove(ev) {{
    var r = plane.getBoundingClientRect();
    var px = (ev.clientX - r.left) * P / r.width, py = (ev.clientY - r.top) * P / r.height;
    api.setZ(toZ(Math.min(P, Math.max(0, px)), Math.min(P, Math.max(0, py))));
  }}
  plane.addEventListener("pointermove", onMove);
  plane.addEventListener("pointerdown", onMove);
  try {{ api.setZ([0, 0]); }} catch (e) {{ root.querySelector(".status").textContent = "explorer error: " + e; }}
  window.unsupExplorers = window.unsupExplorers || {{}};
  window.unsupExplorers["{eid}"] = api;
}})();
</script>"""


def latent_sliders(decode_mean, z_dim: int, *, dims=None, extent: float = 3.0, step: float = 0.05,
                   image_shape=(28, 28), scale: int = 8, z0=None):
    """ipywidgets sliders over the latent code, the decoded image redrawn live (with a kernel).

    ``decode_mean(z (1, z_dim)) -> (1, ...)`` image in [0, 1]. ``dims`` are the coordinates that get a
    slider (default: the first min(z_dim, 8)); the others stay at ``z0`` (default 0). In a page rendered
    without a kernel the sliders still move, but no Python runs to redraw: use ``latent_explorer_html``.
    """
    import io

    import ipywidgets as W
    import matplotlib.pyplot as plt
    import torch

    dims = list(range(min(z_dim, 8))) if dims is None else list(dims)
    z = torch.zeros(1, z_dim) if z0 is None else torch.as_tensor(z0, dtype=torch.float32).reshape(1, z_dim).clone()
    sliders = [W.FloatSlider(value=float(z[0, d]), min=-extent, max=extent, step=step, description=f"z[{d}]",
                             continuous_update=True, layout=W.Layout(width="320px")) for d in dims]
    image = W.Image(format="png", width=image_shape[-1] * scale, height=image_shape[-2] * scale)

    def redraw(_=None):
        for d, s in zip(dims, sliders):
            z[0, d] = s.value
        with torch.no_grad():
            x = decode_mean(z).detach().cpu().reshape(image_shape[-2], image_shape[-1]).clamp(0, 1).numpy()
        buf = io.BytesIO()
        plt.imsave(buf, x.repeat(scale, 0).repeat(scale, 1), cmap="gray", vmin=0, vmax=1, format="png")
        image.value = buf.getvalue()

    for s in sliders:
        s.observe(redraw, names="value")
    redraw()
    return W.HBox([W.VBox(sliders), image])
