"""Interactive explorers. Functions here return ipywidgets (live with a kernel) or HTML strings with
embedded JavaScript (live in the rendered book, no kernel). Nothing is displayed at import."""

from __future__ import annotations

# --- The variational autoencoder ---

_EXPLORER_ACTIVATIONS = {"ReLU": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "LeakyReLU": "leaky_relu",
                         "Identity": "identity"}
_TAB10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
          "#bcbd22", "#17becf"]


# --- weights for the browser: shared by every explorer that runs a network in JavaScript ---

def _b64_f32(t) -> str:
    """A tensor as base64 little-endian float32: what the page's ``f32`` (below) reads back bit for bit."""
    import base64

    import numpy as np

    return base64.b64encode(np.ascontiguousarray(t.detach().cpu().double().numpy(), dtype="<f4").tobytes()
                            ).decode("ascii")


def _f32_from_b64(s: str):
    """The inverse of ``_b64_f32``: a flat float32 tensor."""
    import base64

    import numpy as np
    import torch

    return torch.from_numpy(np.frombuffer(base64.b64decode(s), dtype="<f4").copy())


def _activation_spec(m) -> dict | None:
    """An activation module as a layer dict, or None if it is not one the browser runs."""
    name = _EXPLORER_ACTIVATIONS.get(type(m).__name__)
    if name is None:
        return None
    return {"type": name, "slope": float(m.negative_slope)} if name == "leaky_relu" else {"type": name}


def _activation_from_spec(layer: dict):
    from torch import nn

    return {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "identity": nn.Identity,
            "leaky_relu": lambda: nn.LeakyReLU(layer.get("slope", 0.01))}[layer["type"]]()


# base64 float32 -> Float32Array, in the page (the other half of _b64_f32)
_JS_F32 = """function f32(s) {
    var bin = atob(s), u = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i);
    return new Float32Array(u.buffer);
  }"""


def mlp_spec(decoder) -> list[dict]:
    """An MLP (``nn.Sequential`` of Linear, ReLU, LeakyReLU, Sigmoid, Tanh, Identity) as a list of layer dicts,
    each Linear's weight ``(out, in)`` row-major and bias as base64 little-endian float32 (what the browser
    reads back bit for bit). Anything else raises, naming the layer."""
    import torch
    from torch import nn

    modules = list(decoder) if isinstance(decoder, nn.Sequential) else [decoder]
    layers = []
    for i, m in enumerate(modules):
        if isinstance(m, nn.Sequential):
            layers += mlp_spec(m)
        elif isinstance(m, nn.Linear):
            b = m.bias if m.bias is not None else torch.zeros(m.out_features)
            layers.append({"type": "linear", "in": m.in_features, "out": m.out_features,
                           "W": _b64_f32(m.weight), "b": _b64_f32(b)})
        elif (act := _activation_spec(m)) is not None:
            layers.append(act)
        else:
            raise TypeError(f"layer {i} ({type(m).__name__}) cannot run in the browser explorer: use an "
                            "nn.Sequential of Linear, ReLU, LeakyReLU, Sigmoid, Tanh and Identity layers")
    return layers


def mlp_from_spec(layers: list[dict]):
    """The inverse of ``mlp_spec``: the ``nn.Sequential`` whose float32 weights are those in the spec.
    Used by the browser test to rebuild, from a built page alone, the decoder that page runs."""
    import torch
    from torch import nn

    modules = []
    for layer in layers:
        if layer["type"] == "linear":
            lin = nn.Linear(layer["in"], layer["out"])
            with torch.no_grad():
                lin.weight.copy_(_f32_from_b64(layer["W"]).reshape(layer["out"], layer["in"]))
                lin.bias.copy_(_f32_from_b64(layer["b"]))
            modules.append(lin)
        else:
            modules.append(_activation_from_spec(layer))
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
  {_JS_F32}
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


# --- Unpooling and transposed convolution ---

def conv_transpose_explorer_html(n: int = 2, kernel_size: int = 3, stride: int = 2, padding: int = 1,
                                 output_padding: int = 1, *, max_n: int = 6, max_kernel: int = 5,
                                 max_stride: int = 4, max_padding: int = 3, element_id: str | None = None) -> str:
    """An explorer of the 2-D transposed convolution that runs in the rendered page with no kernel: sliders
    for the input size ``n`` (an ``n x n`` input), the kernel size, stride, padding and output_padding; the
    output size with its arithmetic; and, one step per input value, that value scattering its copy of the
    kernel onto the output canvas, overlaps adding up, and the window that padding keeps.

    Every output size it shows is looked up in a table that ``unsup.upsample.conv_transpose_output_size``
    computed in Python (including its error messages for settings PyTorch refuses); the canvas is drawn by
    JavaScript. Display it with ``IPython.display.HTML``. The page exposes
    ``window.unsupConvT[element_id]`` with ``set({n, k, s, p, op, mode, step})`` and ``state()``
    (the sizes, the full canvas and the output), for tests.
    """
    import hashlib
    import json

    from .upsample import conv_transpose_output_size

    # every output size the sliders can reach, from the library: sizes["n,k,s,p,op"] = int or error text
    sizes = {}
    for nn_ in range(1, max_n + 1):
        for k in range(1, max_kernel + 1):
            for s in range(1, max_stride + 1):
                for p in range(0, max_padding + 1):
                    for op in range(0, max_stride):
                        try:
                            sizes[f"{nn_},{k},{s},{p},{op}"] = conv_transpose_output_size(nn_, k, s, p, op)
                        except ValueError as e:
                            sizes[f"{nn_},{k},{s},{p},{op}"] = str(e)
    spec = {"n": n, "k": kernel_size, "s": stride, "p": padding, "op": output_padding, "max_n": max_n,
            "max_k": max_kernel, "max_s": max_stride, "max_p": max_padding, "sizes": sizes}
    if f"{n},{kernel_size},{stride},{padding},{output_padding}" not in sizes:
        raise ValueError("the starting settings must lie within the sliders' ranges (n <= max_n, ...)")
    blob = json.dumps(spec, separators=(",", ":"))
    eid = element_id or "unsup-convt-" + hashlib.sha256(blob.encode()).hexdigest()[:10]

    def slider(name, label, lo, hi, value):
        return (f'<label style="margin-right:14px;white-space:nowrap">{label} '
                f'<input type="range" class="{name}" min="{lo}" max="{hi}" step="1" value="{value}" '
                f'style="width:90px;vertical-align:middle"> <b class="{name}-v">{value}</b></label>')

    controls = "".join([
        slider("n", "input n&times;n: n =", 1, max_n, n),
        slider("k", "kernel k =", 1, max_kernel, kernel_size),
        slider("s", "stride s =", 1, max_stride, stride),
        slider("p", "padding p =", 0, max_padding, padding),
        slider("op", "output_padding =", 0, max_stride - 1, output_padding),
    ])
    return f"""<div id="{eid}" class="unsup-convt-explorer" style="font-family:sans-serif;font-size:13px;margin:8px 0;
 border:1px solid #ccc;border-radius:6px;padding:10px;background:#fcfcfc">
<div style="line-height:2">{controls}</div>
<div style="margin:4px 0">
 <button class="first" type="button">&laquo; start</button>
 <button class="prev" type="button">&#9664; step back</button>
 <button class="next" type="button">step &#9654;</button>
 <button class="play" type="button">&#9654; play</button>
 <button class="last" type="button">all steps &raquo;</button>
 <label style="margin-left:14px"><input type="radio" name="{eid}-mode" class="mode-count" checked> count the
 copies (input and kernel all ones)</label>
 <label style="margin-left:8px"><input type="radio" name="{eid}-mode" class="mode-values"> sum the values
 (input 1, 2, 3, ...; kernel all ones)</label>
</div>
<div class="formula" style="font-family:monospace;margin:6px 0;font-size:14px"></div>
<div class="stepinfo" style="margin:4px 0;min-height:2.6em"></div>
<div style="display:flex;flex-wrap:wrap;gap:22px;align-items:flex-start">
 <div><div style="text-align:center">input</div><canvas class="cin" width="200" height="200"></canvas></div>
 <div><div style="text-align:center">full canvas: every copy, before cropping
 (<span style="color:#d62728">red dashes</span>: the output window)</div>
 <canvas class="cfull" width="560" height="560"></canvas></div>
 <div><div style="text-align:center">output</div><canvas class="cout" width="260" height="260"></canvas></div>
</div>
</div>
<script type="application/json" id="{eid}-spec">{blob}</script>
<script>
(function () {{
  var root = document.getElementById("{eid}");
  var spec = JSON.parse(document.getElementById("{eid}-spec").textContent);
  var st = {{n: spec.n, k: spec.k, s: spec.s, p: spec.p, op: spec.op, mode: "count", step: spec.n * spec.n}};
  var timer = null;
  function q(c) {{ return root.querySelector("." + c); }}
  // the scatter: input value x[i][j] adds x[i][j] * w (w all ones) at rows s*i..s*i+k-1, cols s*j..s*j+k-1
  function compute() {{
    var key = [st.n, st.k, st.s, st.p, st.op].join(",");
    var out = spec.sizes[key];
    var span = (st.n - 1) * st.s + st.k;                 // the full canvas before cropping
    var ok = typeof out === "number";
    var F = ok ? Math.max(span, st.p + out) : span;      // output_padding may reach past the last copy
    var full = [], x = [], i, j, a, b;
    for (i = 0; i < F; i++) {{ full.push(new Array(F).fill(0)); }}
    for (i = 0; i < st.n; i++) {{
      x.push([]);
      for (j = 0; j < st.n; j++) x[i].push(st.mode === "count" ? 1 : i * st.n + j + 1);
    }}
    for (var t = 0; t < st.step; t++) {{
      i = Math.floor(t / st.n); j = t % st.n;
      for (a = 0; a < st.k; a++) for (b = 0; b < st.k; b++) full[st.s * i + a][st.s * j + b] += x[i][j];
    }}
    var o = [];
    if (ok) for (i = 0; i < out; i++) o.push(full[st.p + i].slice(st.p, st.p + out));
    return {{key: key, out: out, ok: ok, span: span, F: F, full: full, x: x, o: o}};
  }}
  function cellColor(v, vmax) {{
    if (v === 0) return "#ffffff";
    var t = Math.min(1, v / vmax), l = Math.round(92 - 55 * t);
    return "hsl(215,70%," + l + "%)";
  }}
  function grid(cv, m, size, opts) {{
    var ctx = cv.getContext("2d"), R = m.length, C = R ? m[0].length : 0;
    var cell = Math.max(8, Math.min(opts.maxCell || 40, Math.floor((size - 2) / Math.max(R, C, 1))));
    cv.width = C * cell + 2; cv.height = R * cell + 2;
    ctx.clearRect(0, 0, cv.width, cv.height);
    ctx.font = Math.max(8, Math.floor(cell * 0.42)) + "px sans-serif";
    ctx.textAlign = "center"; ctx.textBaseline = "middle";
    for (var i = 0; i < R; i++) for (var j = 0; j < C; j++) {{
      var v = m[i][j], x0 = 1 + j * cell, y0 = 1 + i * cell;
      ctx.fillStyle = cellColor(v, opts.vmax || 1);
      ctx.fillRect(x0, y0, cell, cell);
      if (opts.outside && opts.outside(i, j)) {{
        ctx.fillStyle = "rgba(120,120,120,0.35)"; ctx.fillRect(x0, y0, cell, cell);
      }}
      if (opts.mark && opts.mark(i, j)) {{
        ctx.fillStyle = "rgba(255,160,40,0.45)"; ctx.fillRect(x0, y0, cell, cell);
      }}
      ctx.strokeStyle = "#888"; ctx.lineWidth = 1; ctx.strokeRect(x0 + 0.5, y0 + 0.5, cell, cell);
      if (cell >= 14 && (v !== 0 || opts.showZero)) {{
        ctx.fillStyle = (v / (opts.vmax || 1) > 0.6) ? "#fff" : "#000";
        ctx.fillText(String(v), x0 + cell / 2, y0 + cell / 2);
      }}
    }}
    if (opts.box) {{
      var bx = opts.box;
      ctx.strokeStyle = bx.color; ctx.lineWidth = bx.width || 3; ctx.setLineDash(bx.dash || []);
      ctx.strokeRect(1 + bx.c * cell, 1 + bx.r * cell, bx.w * cell, bx.h * cell);
      ctx.setLineDash([]);
    }}
    if (opts.box2) {{
      var b2 = opts.box2;
      ctx.strokeStyle = b2.color; ctx.lineWidth = 3; ctx.setLineDash([]);
      ctx.strokeRect(1 + b2.c * cell, 1 + b2.r * cell, b2.w * cell, b2.h * cell);
    }}
    return cell;
  }}
  function draw() {{
    var r = compute(), vmax = 1, i, j;
    for (i = 0; i < r.F; i++) for (j = 0; j < r.F; j++) vmax = Math.max(vmax, r.full[i][j]);
    ["n", "k", "s", "p", "op"].forEach(function (c) {{ q(c).value = st[c]; q(c + "-v").textContent = st[c]; }});
    var f = "H_out = (n - 1)\u00b7s - 2p + k + output_padding = (" + st.n + " - 1)\u00b7" + st.s + " - 2\u00b7" + st.p +
            " + " + st.k + " + " + st.op + " = " + ((st.n - 1) * st.s - 2 * st.p + st.k + st.op);
    q("formula").innerHTML = r.ok
      ? f + " &nbsp;&rarr; input " + st.n + "&times;" + st.n + ", output " + r.out + "&times;" + r.out
      : f + "<br><span style='color:#a00'>PyTorch refuses these settings: " + r.out + "</span>";
    var t = st.step, cur = t > 0 ? t - 1 : -1, ci = Math.floor(cur / st.n), cj = cur % st.n;
    var info = "Step " + t + " of " + (st.n * st.n) + ". ";
    if (cur >= 0) {{
      info += "Input x[" + ci + "," + cj + "] = " + r.x[ci][cj] + " adds its copy of the " + st.k + "&times;" + st.k +
              " kernel (times " + r.x[ci][cj] + ") with its top-left corner at row " + (st.s * ci) + ", column " +
              (st.s * cj) + " of the full canvas: neighbouring inputs land s = " + st.s + " cells apart.";
    }} else {{
      info += "Nothing scattered yet: press step.";
    }}
    if (t === st.n * st.n) info += " All " + (st.n * st.n) + " copies are in; the window is the output." +
      (st.mode === "count" ? " Unequal numbers inside the window are the checkerboard: " +
       (st.k % st.s === 0 ? "here k is a multiple of s, so away from the edges every cell gets the same count." :
        "k = " + st.k + " is not a multiple of s = " + st.s + ", so the counts alternate.") : "");
    q("stepinfo").innerHTML = info;
    var xmax = Math.max.apply(null, r.x.map(function (row) {{ return Math.max.apply(null, row); }}));
    grid(q("cin"), r.x, 200, {{vmax: xmax,
      maxCell: 36, showZero: true,
      mark: function (i, j) {{ return i === ci && j === cj; }}}});
    var win = r.ok ? {{r: st.p, c: st.p, w: r.out, h: r.out, color: "#d62728", dash: [7, 4], width: 3}} : null;
    grid(q("cfull"), r.full, 560, {{vmax: vmax, maxCell: 40,
      outside: function (i, j) {{ return !r.ok || i < st.p || j < st.p || i >= st.p + r.out || j >= st.p + r.out; }},
      mark: function (i, j) {{
        return cur >= 0 && i >= st.s * ci && i < st.s * ci + st.k && j >= st.s * cj && j < st.s * cj + st.k;
      }},
      box: win, box2: cur >= 0 ? {{r: st.s * ci, c: st.s * cj, w: st.k, h: st.k, color: "#ff7f0e"}} : null}});
    if (r.ok) grid(q("cout"), r.o, 260, {{vmax: vmax, maxCell: 36}});
    else {{ var c = q("cout"); c.getContext("2d").clearRect(0, 0, c.width, c.height); }}
    last = r;
  }}
  var last = null;
  function stop() {{ if (timer) {{ clearInterval(timer); timer = null; q("play").innerHTML = "&#9654; play"; }} }}
  ["n", "k", "s", "p", "op"].forEach(function (c) {{
    q(c).addEventListener("input", function () {{
      stop(); st[c] = parseInt(q(c).value, 10); st.step = st.n * st.n; draw();
    }});
  }});
  q("first").addEventListener("click", function () {{ stop(); st.step = 0; draw(); }});
  q("last").addEventListener("click", function () {{ stop(); st.step = st.n * st.n; draw(); }});
  q("prev").addEventListener("click", function () {{ stop(); st.step = Math.max(0, st.step - 1); draw(); }});
  q("next").addEventListener("click", function () {{ stop(); st.step = Math.min(st.n * st.n, st.step + 1); draw(); }});
  q("play").addEventListener("click", function () {{
    if (timer) {{ stop(); return; }}
    if (st.step >= st.n * st.n) st.step = 0;
    q("play").innerHTML = "&#10074;&#10074; pause";
    draw();
    timer = setInterval(function () {{
      if (st.step >= st.n * st.n) {{ stop(); return; }}
      st.step += 1; draw();
    }}, 700);
  }});
  q("mode-count").addEventListener("change", function () {{ st.mode = "count"; draw(); }});
  q("mode-values").addEventListener("change", function () {{ st.mode = "values"; draw(); }});
  window.unsupConvT = window.unsupConvT || {{}};
  window.unsupConvT["{eid}"] = {{
    set: function (o) {{
      stop();
      ["n", "k", "s", "p", "op", "mode"].forEach(function (c) {{ if (o[c] !== undefined) st[c] = o[c]; }});
      st.step = o.step !== undefined ? o.step : st.n * st.n;
      q("mode-" + st.mode).checked = true;
      draw();
    }},
    state: function () {{
      return {{out: last.out, ok: last.ok, span: last.span, full: last.full, o: last.o, step: st.step,
               formula: q("formula").textContent}};
    }}
  }};
  draw();
}})();
</script>"""


# --- Generative networks and the ELBO ---

def elbo_explorer_html(w: float = 2.0, b: float = 0.0, sigma: float = 1.0, x: float = 1.5, *, mu0: float = -1.0,
                       logvar0: float = 0.0, z_extent: float = 4.0, x_extent: float = 6.0,
                       element_id: str | None = None, width: int = 560, height: int = 300) -> str:
    """Sliders for ``q(z) = N(mu, exp(logvar))`` on the 1-D model ``z ~ N(0, 1)``, ``x | z ~ N(w z + b, sigma^2)``
    (``LinearGaussianLVM`` with d = k = 1), in HTML + JavaScript: it runs in the rendered page with no kernel
    and loads nothing. The page computes the closed forms (the book's formulas) in JavaScript:

    - ``log p(x) = log N(x; b, w^2 + sigma^2)``;
    - ``p(z|x) = N(w (x - b) / (w^2 + sigma^2), sigma^2 / (w^2 + sigma^2))``;
    - ``ELBO = -1/2 log(2 pi sigma^2) - ((x - w mu - b)^2 + w^2 exp(logvar)) / (2 sigma^2) - KL(q || N(0, 1))``;
    - ``KL(q || p(z|x))``, the Gaussian KL;

    and draws the prior, the exact posterior and ``q`` over ``z``, and a bar where the ELBO and the KL gap
    stack up to ``log p(x)``. ``window.unsupElboExplorers[element_id]`` exposes ``set({mu, logvar, x})``
    (returns the numbers) and ``values`` for tests. Display it with ``IPython.display.HTML``.
    """
    import hashlib
    import json

    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    spec = {"w": float(w), "b": float(b), "sigma": float(sigma), "x": float(x), "mu": float(mu0),
            "logvar": float(logvar0), "zE": float(z_extent), "xE": float(x_extent)}
    blob = json.dumps(spec)
    eid = element_id or "unsup-elbo-" + hashlib.sha256(blob.encode()).hexdigest()[:10]

    def slider(name, label, lo, hi, step, value):
        return (f'<label style="display:block;margin:4px 0"><span style="display:inline-block;width:170px">{label}'
                f'</span><input type="range" class="{name}" min="{lo}" max="{hi}" step="{step}" value="{value}" '
                f'style="width:260px;vertical-align:middle"> <span class="{name}-v" '
                f'style="font-family:monospace"></span></label>')

    controls = (slider("mu", "mean of q, &mu;", -z_extent, z_extent, 0.01, mu0)
                + slider("logvar", "log-variance of q, log &sigma;&sup2;", -6, 2, 0.01, logvar0)
                + slider("x", "the observed x", -x_extent, x_extent, 0.01, x))
    return f"""<div id="{eid}" class="unsup-elbo-explorer" style="font-family:sans-serif;font-size:13px;margin:8px 0">
<div style="margin-bottom:4px">Model: z ~ N(0, 1), x | z ~ N({w:g} z + {b:g}, {sigma:g}&sup2;).
Move q; the exact numbers are recomputed in your browser.</div>
{controls}
<button type="button" class="snap" style="margin:4px 0">set q to the exact posterior</button>
<div style="display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start;margin-top:6px">
<canvas class="dens" width="{width}" height="{height}" style="border:1px solid #999;background:#fff"
 aria-label="densities over z"></canvas>
<canvas class="bar" width="190" height="{height}" style="border:1px solid #999;background:#fff"
 aria-label="log p(x) as ELBO plus KL"></canvas>
<table class="nums" style="font-family:monospace;border-collapse:collapse"></table>
</div>
<div class="status" style="color:#a00"></div>
</div>
<script type="application/json" id="{eid}-spec">{blob}</script>
<script>
(function () {{
  var root = document.getElementById("{eid}");
  var S = JSON.parse(document.getElementById("{eid}-spec").textContent);
  var LOG2PI = Math.log(2 * Math.PI);
  function normPdf(z, m, v) {{ return Math.exp(-0.5 * (z - m) * (z - m) / v) / Math.sqrt(2 * Math.PI * v); }}
  function compute(mu, logvar, x) {{
    var w = S.w, b = S.b, s2 = S.sigma * S.sigma, v = Math.exp(logvar), c = w * w + s2;
    // log p(x) = log N(x; b, w^2 + sigma^2)
    var logpx = -0.5 * (LOG2PI + Math.log(c) + (x - b) * (x - b) / c);
    // p(z|x) = N(w (x - b) / (w^2 + sigma^2), sigma^2 / (w^2 + sigma^2))
    var pm = w * (x - b) / c, pv = s2 / c;
    // KL(q || N(0, 1)) = 1/2 (mu^2 + v - 1 - log v)
    var klPrior = 0.5 * (mu * mu + v - 1 - logvar);
    // E_q log p(x|z) = -1/2 log(2 pi sigma^2) - ((x - w mu - b)^2 + w^2 v) / (2 sigma^2)
    var r = x - w * mu - b;
    var recon = -0.5 * (LOG2PI + Math.log(s2)) - (r * r + w * w * v) / (2 * s2);
    var elbo = recon - klPrior;
    // KL(q || p(z|x)) = 1/2 (v / pv + (mu - pm)^2 / pv - 1 + log pv - log v)
    var gap = 0.5 * (v / pv + (mu - pm) * (mu - pm) / pv - 1 + Math.log(pv) - logvar);
    return {{logpx: logpx, elbo: elbo, kl: gap, recon: recon, klPrior: klPrior, postMean: pm, postVar: pv,
             mu: mu, logvar: logvar, x: x, sum: elbo + gap}};
  }}
  var dens = root.querySelector("canvas.dens"), bar = root.querySelector("canvas.bar");
  var dctx = dens.getContext("2d"), bctx = bar.getContext("2d");
  var inputs = {{mu: root.querySelector("input.mu"), logvar: root.querySelector("input.logvar"),
                x: root.querySelector("input.x")}};
  function curve(ctx, f, color, dash, ymax, W, H, pad) {{
    ctx.strokeStyle = color; ctx.lineWidth = 2; ctx.setLineDash(dash); ctx.beginPath();
    for (var i = 0; i <= 400; i++) {{
      var z = -S.zE + 2 * S.zE * i / 400, y = Math.min(f(z), ymax * 1.2);
      var px = pad + (W - 2 * pad) * i / 400, py = H - pad - (H - 2 * pad) * y / ymax;
      if (i === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
    }}
    ctx.stroke(); ctx.setLineDash([]);
  }}
  function drawDensities(v) {{
    var W = dens.width, H = dens.height, pad = 28, qv = Math.exp(v.logvar);
    dctx.clearRect(0, 0, W, H);
    var ymax = Math.max(normPdf(0, 0, 1), normPdf(0, 0, v.postVar),
                        Math.min(normPdf(0, 0, qv), 3 * normPdf(0, 0, v.postVar))) * 1.1;
    dctx.strokeStyle = "#999"; dctx.lineWidth = 1; dctx.beginPath();
    dctx.moveTo(pad, H - pad); dctx.lineTo(W - pad, H - pad); dctx.stroke();
    dctx.fillStyle = "#444"; dctx.font = "11px sans-serif";
    for (var t = Math.ceil(-S.zE); t <= S.zE; t++) {{
      var px = pad + (W - 2 * pad) * (t + S.zE) / (2 * S.zE);
      dctx.fillText(String(t), px - 3, H - pad + 13);
    }}
    dctx.fillText("z", W - pad + 6, H - pad + 4);
    curve(dctx, function (z) {{ return normPdf(z, 0, 1); }}, "#aaaaaa", [], ymax, W, H, pad);
    curve(dctx, function (z) {{ return normPdf(z, v.postMean, v.postVar); }}, "#2ca02c", [], ymax, W, H, pad);
    curve(dctx, function (z) {{ return normPdf(z, v.mu, qv); }}, "#1f77b4", [7, 4], ymax, W, H, pad);
    var items = [["prior p(z)", "#aaaaaa"], ["exact posterior p(z|x)", "#2ca02c"], ["q(z)", "#1f77b4"]];
    items.forEach(function (it, i) {{
      dctx.fillStyle = it[1]; dctx.fillRect(pad + 4, 8 + 16 * i, 14, 4); dctx.fillStyle = "#222";
      dctx.fillText(it[0], pad + 24, 13 + 16 * i);
    }});
  }}
  function drawBar(v) {{
    var W = bar.width, H = bar.height, top = 34, bottom = H - 20;
    bctx.clearRect(0, 0, W, H);
    // vertical axis in nats: from log p(x) - 12 (bottom) to log p(x) + 2 (top)
    var hi = v.logpx + 2, lo = v.logpx - 12;
    function py(val) {{ return top + (bottom - top) * (hi - Math.max(lo, Math.min(hi, val))) / (hi - lo); }}
    var x0 = 60, bw = 50;
    bctx.fillStyle = "#1f77b4"; bctx.fillRect(x0, py(v.elbo), bw, bottom - py(v.elbo));
    bctx.fillStyle = "#ff7f0e"; bctx.fillRect(x0, py(v.logpx), bw, py(v.elbo) - py(v.logpx));
    bctx.strokeStyle = "#000"; bctx.lineWidth = 2; bctx.beginPath();
    bctx.moveTo(x0 - 12, py(v.logpx)); bctx.lineTo(x0 + bw + 12, py(v.logpx)); bctx.stroke();
    bctx.fillStyle = "#222"; bctx.font = "11px sans-serif";
    bctx.fillText("log p(x)", x0 + bw + 14, py(v.logpx) + 4);
    bctx.fillText("nats", 6, 14);
    for (var t = Math.ceil(lo); t <= hi; t += 2) {{ bctx.fillText(t.toFixed(0), 6, py(t) + 4); }}
    bctx.fillStyle = "#fff"; bctx.fillText("ELBO", x0 + 10, bottom - 6);
    bctx.fillStyle = "#ff7f0e"; bctx.fillText("KL gap", x0 + bw + 14, (py(v.logpx) + py(v.elbo)) / 2 + 14);
    if (v.elbo < lo) {{ bctx.fillStyle = "#a00"; bctx.fillText("ELBO below axis", x0 - 10, H - 4); }}
  }}
  function row(name, val, color, sci) {{
    return "<tr><td style='padding:2px 8px;color:" + color + "'>" + name +
      "</td><td style='text-align:right;padding:2px 8px'>" + (sci ? val.toExponential(1) : val.toFixed(4)) +
      "</td></tr>";
  }}
  var api = {{values: null, updates: 0, compute: compute}};
  api.set = function (o) {{
    ["mu", "logvar", "x"].forEach(function (k) {{ if (o && o[k] !== undefined) inputs[k].value = o[k]; }});
    var v = compute(parseFloat(inputs.mu.value), parseFloat(inputs.logvar.value), parseFloat(inputs.x.value));
    ["mu", "logvar", "x"].forEach(function (k) {{ root.querySelector("." + k + "-v").textContent = v[k].toFixed(2); }});
    drawDensities(v); drawBar(v);
    root.querySelector("table.nums").innerHTML =
      row("log p(x)", v.logpx, "#000") + row("ELBO(q)", v.elbo, "#1f77b4") +
      row("&nbsp;&nbsp;E_q log p(x|z)", v.recon, "#1f77b4") +
      row("&nbsp;&nbsp;&minus; KL(q || p(z))", -v.klPrior, "#1f77b4") +
      row("KL(q || p(z|x))", v.kl, "#ff7f0e") + row("ELBO + KL", v.sum, "#000") +
      row("log p(x) &minus; (ELBO + KL)", v.logpx - v.sum, "#666", true) +
      row("posterior mean", v.postMean, "#2ca02c") + row("posterior log-var", Math.log(v.postVar), "#2ca02c");
    api.values = v; api.updates += 1;
    return v;
  }};
  ["mu", "logvar", "x"].forEach(function (k) {{ inputs[k].addEventListener("input", function () {{ api.set(); }}); }});
  root.querySelector("button.snap").addEventListener("click", function () {{
    var v = compute(0, 0, parseFloat(inputs.x.value));
    api.set({{mu: v.postMean, logvar: Math.log(v.postVar)}});
  }});
  try {{ api.set(); }} catch (e) {{ root.querySelector(".status").textContent = "explorer error: " + e; }}
  window.unsupElboExplorers = window.unsupElboExplorers || {{}};
  window.unsupElboExplorers["{eid}"] = api;
}})();
</script>"""


def elbo_sliders(w: float = 2.0, b: float = 0.0, sigma: float = 1.0, x: float = 1.5):
    """The same explorer with ipywidgets and matplotlib, computed by ``unsup.elbo.LinearGaussianLVM`` in Python
    (live with a kernel only; in a page without one use ``elbo_explorer_html``)."""
    import io

    import ipywidgets as W
    import matplotlib.pyplot as plt
    import torch

    from .elbo import LinearGaussianLVM

    model = LinearGaussianLVM(torch.tensor([[w]], dtype=torch.float64), torch.tensor([b], dtype=torch.float64), sigma)
    s_mu = W.FloatSlider(value=-1.0, min=-4, max=4, step=0.01, description="mean of q")
    s_lv = W.FloatSlider(value=0.0, min=-6, max=2, step=0.01, description="log-var of q")
    s_x = W.FloatSlider(value=x, min=-6, max=6, step=0.01, description="x")
    image, text = W.Image(format="png"), W.HTML()

    def redraw(_=None):
        xt = torch.tensor([[s_x.value]], dtype=torch.float64)
        mu, lv = torch.tensor([[s_mu.value]], dtype=torch.float64), torch.tensor([[s_lv.value]], dtype=torch.float64)
        with torch.no_grad():
            log_px, bound = model.log_marginal(xt).item(), model.elbo(xt, mu, lv).item()
            gap = model.kl_to_posterior(xt, mu, lv).item()
            pm, pc = model.posterior(xt)
        zs = torch.linspace(-4, 4, 400, dtype=torch.float64)
        normal = torch.distributions.Normal
        fig, ax = plt.subplots(figsize=(6, 3))
        ax.plot(zs, normal(0.0, 1.0).log_prob(zs).exp(), color="#aaa", label="prior p(z)")
        ax.plot(zs, normal(pm[0, 0], pc[0, 0].sqrt()).log_prob(zs).exp(), color="#2ca02c", label="p(z|x)")
        ax.plot(zs, normal(mu[0, 0], (0.5 * lv[0, 0]).exp()).log_prob(zs).exp(), "--", color="#1f77b4", label="q(z)")
        ax.set_xlabel("z")
        ax.legend()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
        plt.close(fig)
        image.value = buf.getvalue()
        text.value = (f"<pre>log p(x) = {log_px:.4f}\nELBO     = {bound:.4f}\nKL gap   = {gap:.4f}\n"
                      f"ELBO + KL = {bound + gap:.4f}</pre>")

    for s in (s_mu, s_lv, s_x):
        s.observe(redraw, names="value")
    redraw()
    return W.VBox([W.HBox([s_mu, s_lv, s_x]), W.HBox([image, text])])


# --- Generative adversarial networks ---

def convnet_spec(generator) -> list[dict]:
    """A convolutional generator (an ``nn.Sequential``, or a module whose ``.net`` is one, of ConvTranspose2d,
    BatchNorm2d, ReLU, LeakyReLU, Sigmoid, Tanh) as a list of layer dicts for the browser. Weights are base64
    little-endian float32; a BatchNorm2d becomes the per-channel affine map it computes in eval mode
    (``scale = gamma / sqrt(running_var + eps)``, ``shift = beta - running_mean * scale``). The input is a code
    ``z`` of ``C`` numbers, read as a ``(C, 1, 1)`` image."""
    import torch
    from torch import nn

    b64 = _b64_f32
    net = generator.net if hasattr(generator, "net") else generator
    layers = []
    for i, m in enumerate(net if isinstance(net, nn.Sequential) else [net]):
        if isinstance(m, nn.ConvTranspose2d):
            k, st, pad = m.kernel_size, m.stride, m.padding
            square = k[0] == k[1] and st[0] == st[1] and pad[0] == pad[1]
            if m.groups != 1 or m.dilation != (1, 1) or m.output_padding != (0, 0) or not square:
                raise TypeError(f"layer {i}: only square ConvTranspose2d without groups, dilation or output_padding")
            bias = m.bias if m.bias is not None else torch.zeros(m.out_channels)
            layers.append({"type": "convT", "in": m.in_channels, "out": m.out_channels, "k": m.kernel_size[0],
                           "s": m.stride[0], "p": m.padding[0], "W": b64(m.weight), "b": b64(bias)})
        elif isinstance(m, nn.BatchNorm2d):
            scale = m.weight / torch.sqrt(m.running_var + m.eps)
            layers.append({"type": "affine", "c": m.num_features, "scale": b64(scale),
                           "shift": b64(m.bias - m.running_mean * scale)})
        elif (act := _activation_spec(m)) is not None:
            layers.append(act)
        else:
            raise TypeError(f"layer {i} ({type(m).__name__}) cannot run in the browser explorer: use ConvTranspose2d, "
                            "BatchNorm2d, ReLU, LeakyReLU, Sigmoid and Tanh layers")
    return layers


def convnet_from_spec(layers: list[dict]):
    """The inverse of ``convnet_spec``: a module mapping ``z (N, C)`` to images, with the spec's float32 weights
    (batch norm as the fixed affine map). Used by the browser test to rebuild the generator a page runs."""
    import torch
    from torch import nn

    f32 = _f32_from_b64

    class Affine(nn.Module):
        def __init__(self, scale, shift):
            super().__init__()
            self.scale, self.shift = scale, shift

        def forward(self, h):
            return h * self.scale[:, None, None] + self.shift[:, None, None]  # (C,) -> (C, 1, 1) over (N, C, H, W)

    modules = []
    for layer in layers:
        if layer["type"] == "convT":
            conv = nn.ConvTranspose2d(layer["in"], layer["out"], layer["k"], layer["s"], layer["p"])
            with torch.no_grad():
                conv.weight.copy_(f32(layer["W"]).reshape(conv.weight.shape))
                conv.bias.copy_(f32(layer["b"]))
            modules.append(conv)
        elif layer["type"] == "affine":
            modules.append(Affine(f32(layer["scale"]), f32(layer["shift"])))
        else:
            modules.append(_activation_from_spec(layer))
    body = nn.Sequential(*modules)

    class FromSpec(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = body

        def forward(self, z):
            return self.net(z[:, :, None, None])  # (N, C) -> (N, C, 1, 1)

    return FromSpec()


def gan_interpolation_html(generator, anchors, *, steps: int = 9, value_range=(0.0, 1.0), title: str | None = None,
                           image_px: int = 196, thumb_px: int = 56, element_id: str | None = None) -> str:
    """An interpolation explorer for a convolutional generator that runs in the rendered page with no kernel.

    ``anchors (K, z_dim)``: latent codes shown as thumbnails; pick a start and an end, and a slider moves
    ``t`` from 0 to 1 along the straight line ``(1 - t) z0 + t z1`` or the great circle (slerp, as
    ``unsup.gan.interpolate``). The generator (``convnet_spec``; put it in eval mode) is evaluated by
    JavaScript from its embedded float32 weights. The page exposes ``window.unsupGanExplorers[element_id]``
    with ``decode(z)``, ``path(t)`` (the code at ``t``), ``set({from, to, t, kind})``, ``z``, ``pixels``.
    """
    import hashlib
    import html as html_lib
    import json

    import torch

    layers = convnet_spec(generator)
    anchors = torch.as_tensor(anchors).detach().cpu().double()
    convs = [layer for layer in layers if layer["type"] == "convT"]
    if not convs:
        raise ValueError("the generator has no ConvTranspose2d layer")
    if anchors.dim() != 2 or anchors.shape[1] != convs[0]["in"] or len(anchors) < 2:
        raise ValueError(f"anchors must be (K >= 2, {convs[0]['in']}) latent codes; got {tuple(anchors.shape)}")
    size = 1
    for c in convs:
        size = (size - 1) * c["s"] - 2 * c["p"] + c["k"]
    if convs[-1]["out"] != 1:
        raise ValueError("the explorer draws single-channel images")
    spec = {"layers": layers, "anchors": anchors.tolist(), "size": size, "steps": steps,
            "lo": float(value_range[0]), "hi": float(value_range[1])}
    blob = json.dumps(spec, separators=(",", ":"))
    eid = element_id or "unsup-gan-explorer-" + hashlib.sha256(blob.encode()).hexdigest()[:10]
    heading = f"<p style='font-weight:bold;margin:0 0 6px 0'>{html_lib.escape(title)}</p>" if title else ""
    return f"""<div id="{eid}" class="unsup-gan-explorer" style="font-family:sans-serif;font-size:13px;margin:8px 0">
{heading}<div>Click a code to start from (<span style="color:#1f77b4">blue</span>), shift-click or right-click one
to end at (<span style="color:#d62728">red</span>); then move t.</div>
<div class="anchors" style="display:flex;flex-wrap:wrap;gap:4px;margin:6px 0"></div>
<div style="display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start">
<canvas class="image" width="{image_px}" height="{image_px}" style="border:1px solid #999;image-rendering:pixelated">
</canvas>
<div><label>t <input type="range" class="t" min="0" max="1" step="0.01" value="0.5" style="width:260px"></label>
<span class="t-v" style="font-family:monospace">0.50</span><br>
<label><input type="radio" name="{eid}-kind" value="linear" checked> straight line</label>
<label><input type="radio" name="{eid}-kind" value="slerp"> great circle (slerp)</label>
<div class="readout" style="font-family:monospace;margin-top:6px"></div></div></div>
<canvas class="strip" width="{steps * thumb_px}" height="{thumb_px}"
 style="border:1px solid #999;margin-top:8px;image-rendering:pixelated;max-width:100%"></canvas>
<div class="status" style="color:#a00"></div>
</div>
<script type="application/json" id="{eid}-spec">{blob}</script>
<script>
(function () {{
  var root = document.getElementById("{eid}");
  var S = JSON.parse(document.getElementById("{eid}-spec").textContent);
  {_JS_F32}
  var layers = S.layers.map(function (l) {{
    if (l.type === "convT") return {{type: l.type, cin: l["in"], cout: l.out, k: l.k, s: l.s, p: l.p, W: f32(l.W),
                                     b: f32(l.b)}};
    if (l.type === "affine") return {{type: l.type, c: l.c, scale: f32(l.scale), shift: f32(l.shift)}};
    return l;
  }});
  // G(z): z is a (C, 1, 1) image; each transposed convolution scatters a copy of its kernel, scaled by every
  // input value, at stride s: out[o, iy*s - p + ky, ix*s - p + kx] += in[i, iy, ix] * W[i, o, ky, kx]
  function decode(z) {{
    var h = Float64Array.from(z), C = z.length, H = 1;
    for (var n = 0; n < layers.length; n++) {{
      var l = layers[n], i, j;
      if (l.type === "convT") {{
        var Ho = (H - 1) * l.s - 2 * l.p + l.k, o = new Float64Array(l.cout * Ho * Ho), k = l.k;
        for (var c = 0; c < l.cout; c++) for (j = 0; j < Ho * Ho; j++) o[c * Ho * Ho + j] = l.b[c];
        for (var ci = 0; ci < C; ci++) for (var iy = 0; iy < H; iy++) for (var ix = 0; ix < H; ix++) {{
          var v = h[(ci * H + iy) * H + ix];
          if (v === 0) continue;
          for (var co = 0; co < l.cout; co++) {{
            var wo = (ci * l.cout + co) * k * k, oo = co * Ho * Ho;
            for (var ky = 0; ky < k; ky++) {{
              var y = iy * l.s - l.p + ky;
              if (y < 0 || y >= Ho) continue;
              for (var kx = 0; kx < k; kx++) {{
                var x = ix * l.s - l.p + kx;
                if (x < 0 || x >= Ho) continue;
                o[oo + y * Ho + x] += v * l.W[wo + ky * k + kx];
              }}
            }}
          }}
        }}
        h = o; C = l.cout; H = Ho;
      }} else if (l.type === "affine") {{
        for (i = 0; i < C; i++) for (j = 0; j < H * H; j++) {{
          h[i * H * H + j] = h[i * H * H + j] * l.scale[i] + l.shift[i];
        }}
      }} else if (l.type === "relu") {{ for (i = 0; i < h.length; i++) h[i] = h[i] > 0 ? h[i] : 0; }}
      else if (l.type === "leaky_relu") {{ for (i = 0; i < h.length; i++) h[i] = h[i] > 0 ? h[i] : l.slope * h[i]; }}
      else if (l.type === "sigmoid") {{ for (i = 0; i < h.length; i++) h[i] = 1 / (1 + Math.exp(-h[i])); }}
      else if (l.type === "tanh") {{ for (i = 0; i < h.length; i++) h[i] = Math.tanh(h[i]); }}
    }}
    return h;
  }}
  var N = S.size, small = document.createElement("canvas"); small.width = N; small.height = N;
  var sctx = small.getContext("2d"), data = sctx.createImageData(N, N);
  function draw(x, ctx, dx, w) {{
    for (var i = 0; i < N * N; i++) {{
      var v = Math.round(255 * Math.min(1, Math.max(0, (x[i] - S.lo) / (S.hi - S.lo))));
      data.data[4 * i] = data.data[4 * i + 1] = data.data[4 * i + 2] = v; data.data[4 * i + 3] = 255;
    }}
    sctx.putImageData(data, 0, 0); ctx.imageSmoothingEnabled = false; ctx.drawImage(small, dx, 0, w, w);
  }}
  function norm(v) {{ var s = 0; for (var i = 0; i < v.length; i++) s += v[i] * v[i]; return Math.sqrt(s); }}
  var state = {{from: 0, to: 1, t: 0.5, kind: "linear"}};
  // z(t) = (1 - t) z0 + t z1, or slerp: [sin((1 - t) w) z0 + sin(t w) z1] / sin w, w the angle between them
  function path(t) {{
    var a = S.anchors[state.from], b = S.anchors[state.to], z = new Array(a.length), i;
    var dot = 0, na = norm(a), nb = norm(b);
    for (i = 0; i < a.length; i++) dot += a[i] * b[i];
    var w = Math.acos(Math.min(1, Math.max(-1, dot / (na * nb))));
    for (i = 0; i < a.length; i++) {{
      z[i] = state.kind === "slerp" && Math.abs(w) >= 1e-6
        ? (Math.sin((1 - t) * w) * a[i] + Math.sin(t * w) * b[i]) / Math.sin(w) : (1 - t) * a[i] + t * b[i];
    }}
    return z;
  }}
  var img = root.querySelector("canvas.image"), ictx = img.getContext("2d");
  var strip = root.querySelector("canvas.strip"), tctx = strip.getContext("2d"), tw = strip.height;
  var box = root.querySelector(".anchors"), thumbs = [];
  S.anchors.forEach(function (a, k) {{
    var c = document.createElement("canvas"); c.width = c.height = {thumb_px}; c.title = "code " + k;
    c.style.cssText = "border:3px solid #ddd;cursor:pointer;image-rendering:pixelated";
    draw(decode(a), c.getContext("2d"), 0, {thumb_px});
    c.addEventListener("click", function (ev) {{ api.set(ev.shiftKey ? {{to: k}} : {{from: k}}); }});
    c.addEventListener("contextmenu", function (ev) {{ ev.preventDefault(); api.set({{to: k}}); }});
    box.appendChild(c); thumbs.push(c);
  }});
  var api = {{decode: function (z) {{ return Array.from(decode(z)); }}, path: function (t) {{ return path(t); }},
             z: null, pixels: null, updates: 0, state: state}};
  api.set = function (o) {{
    o = o || {{}};
    ["from", "to", "t", "kind"].forEach(function (key) {{ if (o[key] !== undefined) state[key] = o[key]; }});
    root.querySelector("input.t").value = state.t;
    root.querySelectorAll("input[type=radio]").forEach(function (r) {{ r.checked = r.value === state.kind; }});
    thumbs.forEach(function (c, k) {{
      c.style.borderColor = k === state.from ? "#1f77b4" : k === state.to ? "#d62728" : "#ddd";
    }});
    var z = path(state.t), x = decode(z);
    draw(x, ictx, 0, img.width);
    tctx.fillStyle = "#fff"; tctx.fillRect(0, 0, strip.width, strip.height);
    for (var s = 0; s < S.steps; s++) draw(decode(path(s / (S.steps - 1))), tctx, s * tw, tw);
    root.querySelector(".t-v").textContent = Number(state.t).toFixed(2);
    root.querySelector(".readout").textContent = "code " + state.from + " to code " + state.to +
      ", t = " + Number(state.t).toFixed(2) + ", |z| = " + norm(z).toFixed(2);
    api.z = z; api.pixels = Array.from(x); api.updates += 1;
  }};
  root.querySelector("input.t").addEventListener("input", function (ev) {{
    api.set({{t: parseFloat(ev.target.value)}});
  }});
  root.querySelectorAll("input[type=radio]").forEach(function (r) {{
    r.addEventListener("change", function () {{ if (r.checked) api.set({{kind: r.value}}); }});
  }});
  try {{ api.set(); }} catch (e) {{ root.querySelector(".status").textContent = "explorer error: " + e; }}
  window.unsupGanExplorers = window.unsupGanExplorers || {{}};
  window.unsupGanExplorers["{eid}"] = api;
}})();
</script>"""
