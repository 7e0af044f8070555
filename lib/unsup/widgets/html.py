"""Explorers that run in the rendered page with no kernel. Each builder returns an HTML string: the explorer's
markup, its JSON spec (a script element of type ``application/json``, id ``{element_id}-spec``) and the
package's JavaScript (``js/runtime.js``, shared, then the explorer's own file), inlined so that the page works offline
and from any URL. Display one with ``IPython.display.HTML``.

Every explorer is labelled for screen readers and works from the keyboard; the page exposes each one's API in
``window.<registry>[element_id]`` for tests and the curious (the registry is named in each builder).
"""

from __future__ import annotations

import functools
import hashlib
import html as html_lib
import json
import math
import re
from importlib import resources

import torch

from .spec import convnet_spec, mlp_spec

_TAB10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
          "#bcbd22", "#17becf"]
JS_FILES = ("runtime.js", "latent.js", "gan.js", "convt.js", "elbo.js")


@functools.cache
def js_source(name: str) -> str:
    """The text of one of the package's JavaScript files (``JS_FILES``), read from the installed package."""
    if name not in JS_FILES:
        raise ValueError(f"no explorer script {name!r}; the package ships {JS_FILES}")
    text = resources.files(__package__).joinpath("js", name).read_text(encoding="utf-8")
    if "</script" in text.lower():  # would end the inline script element early
        raise ValueError(f"js/{name} contains '</script', which cannot be inlined in a page")
    return text


def _element_id(element_id: str | None, prefix: str, blob: str) -> str:
    if element_id is None:
        return f"{prefix}-{hashlib.sha256(blob.encode()).hexdigest()[:10]}"
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", element_id):
        raise ValueError(f"element_id {element_id!r} must be an HTML id: a letter, then letters, digits, - or _")
    return element_id


def _explorer(kind: str, prefix: str, element_id: str | None, spec: dict, markup) -> str:
    """The page fragment of one explorer: ``markup(eid)``, its spec as JSON and the scripts that run it."""
    # "</" inside the JSON (a class name, say) must not close the script element: JSON reads "<\/" as "</"
    blob = json.dumps(spec, separators=(",", ":")).replace("</", "<\\/")
    eid = _element_id(element_id, prefix, blob)
    scripts = "".join(f"<script>\n{js_source(name)}</script>\n" for name in ("runtime.js", f"{kind}.js"))
    return (f"{markup(eid)}\n"
            f'<script type="application/json" id="{eid}-spec" class="unsup-spec" data-kind="{kind}">{blob}</script>\n'
            f"{scripts}")


def _heading(title: str | None) -> str:
    return f"<p style='font-weight:bold;margin:0 0 6px 0'>{html_lib.escape(title)}</p>" if title else ""


# --- the variational autoencoder (and any decoder of a 2-D code) ---

def latent_explorer_html(decoder, *, image_shape=(28, 28), extent: float = 3.0, codes=None, labels=None,
                         class_names=None, value_range=(0.0, 1.0), max_points: int = 2000, title: str | None = None,
                         plane_px: int = 320, image_px: int = 224, element_id: str | None = None, start=None,
                         key_step: float | None = None) -> str:
    """A 2-D latent explorer: a canvas for the latent plane ``[-extent, extent]^2`` and one for the decoded
    image. The decoder's weights are embedded (base64 float32) and evaluated by JavaScript as the pointer moves
    over the plane, or as the arrow keys move the point once the plane has the focus (Shift: ten steps; Home:
    back to the start).

    ``decoder``: an ``nn.Sequential`` of Linear layers and activations mapping ``(2,)`` to ``prod(image_shape)``
    values (e.g. ``MLPVAE.decoder_mean_net()``, or a GAN's MLP generator with ``value_range=(-1, 1)`` for a
    Tanh output). ``codes (N, 2)`` and ``labels`` draw the encoded data behind the plane, coloured by class
    (at most ``max_points`` of them).

    ``start=(z1, z2)``: where the explorer opens. Pass the code of a real test image (e.g. ``codes[i]`` for an
    image ``x_test[i]`` worth showing); default: the first of ``codes`` that lies on the plane, or the origin
    when there is none. ``key_step``: how far one arrow key moves the point
    (default ``extent / 30``).

    Registry: ``window.unsupExplorers[element_id]`` with ``decode([z1, z2])`` (the decoder's output),
    ``setZ([z1, z2])``, ``z`` and ``pixels`` (the last drawn point and output), ``start``.
    """
    if not extent > 0:
        raise ValueError(f"extent must be positive; got {extent}")
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
    if start is None:  # the first code on the plane: a real image's, so the explorer opens on a meaningful point
        inside = [] if codes is None else [z for z in codes.tolist() if max(abs(z[0]), abs(z[1])) <= extent]
        start = inside[0] if inside else [0.0, 0.0]
    else:
        start = torch.as_tensor(start, dtype=torch.float64).flatten().tolist()
        if len(start) != 2 or not all(abs(v) <= extent for v in start):
            raise ValueError(f"start must be a point (z1, z2) on the plane [-{extent:g}, {extent:g}]^2; got {start}: "
                             "pass a code inside it or a larger extent")
    if key_step is None:
        key_step = extent / 30
    if not key_step > 0:
        raise ValueError(f"key_step must be positive; got {key_step}")
    if class_names is None and labels is not None:
        from ..data import CLASSES as class_names
    classes = list(class_names) if class_names is not None and labels is not None else []
    spec = {"layers": layers, "h": h, "w": w, "extent": float(extent), "lo": float(value_range[0]),
            "hi": float(value_range[1]), "points": points, "colors": _TAB10, "classes": classes,
            "start": [float(v) for v in start], "step": float(key_step)}
    swatch = ('<span aria-hidden="true" style="display:inline-block;width:10px;height:10px;background:{};'
              'margin-right:3px"></span>')
    legend = "".join(f'<span style="white-space:nowrap;margin-right:10px">{swatch.format(_TAB10[i % 10])}'
                     f'{html_lib.escape(str(n))}</span>' for i, n in enumerate(classes))
    axes = (f"z<sub>1</sub> from {-extent:g} to {extent:g} (right), "
            f"z<sub>2</sub> from {-extent:g} to {extent:g} (up)")
    name = html_lib.escape(title or "latent explorer", quote=True)
    start_text = f"({start[0]:.2f}, {start[1]:.2f})"

    def markup(eid):
        return f"""<div id="{eid}" class="unsup-explorer" role="group" aria-label="{name}"
 style="font-family:sans-serif;font-size:13px;margin:8px 0;max-width:100%">
{_heading(title)}<p id="{eid}-help" style="margin:0 0 6px 0">Move the pointer over the plane, or focus it (Tab) and
use the arrow keys (Shift: bigger steps, Home: back to the start {start_text}).</p>
<div style="display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start">
<div><canvas class="plane" width="{plane_px}" height="{plane_px}" tabindex="0" role="application"
 aria-roledescription="latent plane" aria-label="latent plane: {axes.replace('<sub>', '').replace('</sub>', '')}"
 aria-describedby="{eid}-help"
 style="border:1px solid #999;cursor:crosshair;touch-action:none;background:#fff;max-width:100%;
 box-sizing:border-box"></canvas>
<div style="text-align:center">{axes}</div></div>
<div><canvas class="image" width="{image_px}" height="{image_px}" role="img" aria-label="the decoder's image"
 style="border:1px solid #999;image-rendering:pixelated;max-width:100%;box-sizing:border-box"></canvas>
<div class="readout" aria-live="polite" style="font-family:monospace;text-align:center">z = {start_text}</div>
</div></div>
<div style="margin-top:6px">{legend}</div>
<div class="status" role="alert" style="color:#a00"></div>
</div>"""

    return _explorer("latent", "unsup-explorer", element_id, spec, markup)


# --- generative adversarial networks ---

def gan_interpolation_html(generator, anchors, *, steps: int = 9, value_range=(0.0, 1.0), title: str | None = None,
                           image_px: int = 196, thumb_px: int = 56, element_id: str | None = None, start: int = 0,
                           end: int = 1) -> str:
    """An interpolation explorer for a convolutional generator.

    ``anchors (K, z_dim)``: latent codes shown as thumbnail buttons (click: start here; Shift-click: end here)
    and in two menus; a slider moves ``t`` from 0 to 1 along the straight line ``(1 - t) z0 + t z1`` or the
    great circle (slerp, as ``unsup.gan.interpolate``). The explorer opens on anchor ``start`` (``t = 0``) with
    the path to anchor ``end``. The generator (``convnet_spec``; put it in eval mode) is evaluated by
    JavaScript from its embedded float32 weights.

    Registry: ``window.unsupGanExplorers[element_id]`` with ``decode(z)``, ``path(t)`` (the code at ``t``),
    ``set({from, to, t, kind})``, ``state``, ``z``, ``pixels``.
    """
    layers = convnet_spec(generator)
    anchors = torch.as_tensor(anchors).detach().cpu().double()
    convs = [layer for layer in layers if layer["type"] == "convT"]
    if not convs:
        raise ValueError("the generator has no ConvTranspose2d layer")
    if anchors.dim() != 2 or anchors.shape[1] != convs[0]["in"] or len(anchors) < 2:
        raise ValueError(f"anchors must be (K >= 2, {convs[0]['in']}) latent codes; got {tuple(anchors.shape)}")
    if not (0 <= start < len(anchors) and 0 <= end < len(anchors) and start != end):
        raise ValueError(f"start and end must be two different anchors in 0..{len(anchors) - 1}; got {start}, {end}")
    if steps < 2:
        raise ValueError(f"steps must be at least 2 (both ends of the path); got {steps}")
    size = 1
    for c in convs:
        # H_out = (H - 1) s - 2p + k
        size = (size - 1) * c["s"] - 2 * c["p"] + c["k"]
    if convs[-1]["out"] != 1:
        raise ValueError("the explorer draws single-channel images")
    spec = {"layers": layers, "anchors": anchors.tolist(), "size": size, "steps": steps, "thumb": thumb_px,
            "lo": float(value_range[0]), "hi": float(value_range[1]), "from": start, "to": end, "t": 0.0}
    name = html_lib.escape(title or "interpolation explorer", quote=True)

    def markup(eid):
        return f"""<div id="{eid}" class="unsup-gan-explorer" role="group" aria-label="{name}"
 style="font-family:sans-serif;font-size:13px;margin:8px 0;max-width:100%">
{_heading(title)}<p style="margin:0">Pick the code to start from (<span style="color:#1f77b4">blue</span>) and the
one to end at (<span style="color:#c00">red</span>): click a picture to start there, Shift-click to end there, or
use the menus; then move t.</p>
<div class="anchors" role="group" aria-label="anchor codes" style="display:flex;flex-wrap:wrap;gap:4px;margin:6px 0">
</div>
<div style="margin:4px 0"><label>start <select class="from"></select></label>
<label style="margin-left:12px">end <select class="to"></select></label></div>
<div style="display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start">
<canvas class="image" width="{image_px}" height="{image_px}" role="img" aria-label="the generator's image"
 style="border:1px solid #999;image-rendering:pixelated"></canvas>
<div><label>t <input type="range" class="t" min="0" max="1" step="0.01" value="0"
 style="width:260px;max-width:60vw"></label>
<span class="t-v" style="font-family:monospace">0.00</span><br>
<label><input type="radio" name="{eid}-kind" value="linear" checked> straight line</label>
<label><input type="radio" name="{eid}-kind" value="slerp"> great circle (slerp)</label>
<div class="readout" aria-live="polite" style="font-family:monospace;margin-top:6px"></div></div></div>
<canvas class="strip" width="{steps * thumb_px}" height="{thumb_px}" role="img" aria-label="images along the path"
 style="border:1px solid #999;margin-top:8px;image-rendering:pixelated;max-width:100%;box-sizing:border-box"></canvas>
<div class="status" role="alert" style="color:#a00"></div>
</div>"""

    return _explorer("gan", "unsup-gan-explorer", element_id, spec, markup)


# --- unpooling and transposed convolution ---

def conv_transpose_explorer_html(n: int = 2, kernel_size: int = 3, stride: int = 2, padding: int = 1,
                                 output_padding: int = 1, *, max_n: int = 6, max_kernel: int = 5,
                                 max_stride: int = 4, max_padding: int = 3, element_id: str | None = None) -> str:
    """An explorer of the 2-D transposed convolution: sliders for the input size ``n`` (an ``n x n`` input), the
    kernel size, stride, padding and output_padding; the output size with its arithmetic; and, one step per
    input value, that value scattering its copy of the kernel onto the output canvas, overlaps adding up, and
    the window that padding keeps.

    Every output size it shows is looked up in a table that ``unsup.upsample.conv_transpose_output_size``
    computed in Python (including its error messages for settings PyTorch refuses); the canvas is drawn by
    JavaScript. Registry: ``window.unsupConvT[element_id]`` with ``set({n, k, s, p, op, mode, step})`` and
    ``state()`` (the sizes, the full canvas and the output).
    """
    from ..upsample import conv_transpose_output_size

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
    if f"{n},{kernel_size},{stride},{padding},{output_padding}" not in sizes:
        raise ValueError("the starting settings must lie within the sliders' ranges (n <= max_n, ...)")
    spec = {"n": n, "k": kernel_size, "s": stride, "p": padding, "op": output_padding, "max_n": max_n,
            "max_k": max_kernel, "max_s": max_stride, "max_p": max_padding, "sizes": sizes}

    def slider(name, label, lo, hi, value):
        return (f'<label style="margin-right:14px;white-space:nowrap">{label} '
                f'<input type="range" class="{name}" min="{lo}" max="{hi}" step="1" value="{value}" '
                f'style="width:90px;vertical-align:middle"> <b class="{name}-v">{value}</b></label>')

    controls = "\n".join([  # line breaks between the labels: the row wraps on a narrow page
        slider("n", "input n&times;n: n =", 1, max_n, n),
        slider("k", "kernel k =", 1, max_kernel, kernel_size),
        slider("s", "stride s =", 1, max_stride, stride),
        slider("p", "padding p =", 0, max_padding, padding),
        slider("op", "output_padding =", 0, max_stride - 1, output_padding),
    ])

    def markup(eid):
        return f"""<div id="{eid}" class="unsup-convt-explorer" role="group"
 aria-label="transposed convolution explorer" style="font-family:sans-serif;font-size:13px;margin:8px 0;
 border:1px solid #ccc;border-radius:6px;padding:10px;background:#fcfcfc;max-width:100%;box-sizing:border-box">
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
<div class="stepinfo" aria-live="polite" style="margin:4px 0;min-height:2.6em"></div>
<div style="display:flex;flex-wrap:wrap;gap:22px;align-items:flex-start">
 <div><div style="text-align:center">input</div><canvas class="cin" width="200" height="200" role="img"
 aria-label="input"></canvas></div>
 <div><div style="text-align:center">full canvas: every copy, before cropping
 (<span style="color:#c00">red dashes</span>: the output window)</div>
 <canvas class="cfull" width="560" height="560" role="img" aria-label="full canvas"
 style="max-width:100%;box-sizing:border-box"></canvas></div>
 <div><div style="text-align:center">output</div><canvas class="cout" width="260" height="260" role="img"
 aria-label="output"></canvas></div>
</div>
<div class="status" role="alert" style="color:#a00"></div>
</div>"""

    return _explorer("convt", "unsup-convt", element_id, spec, markup)


# --- generative networks and the ELBO ---

def elbo_explorer_html(w: float = 2.0, b: float = 0.0, sigma: float = 1.0, x: float = 1.5, *, mu0: float = -1.0,
                       logvar0: float = 0.0, z_extent: float = 4.0, x_extent: float = 6.0,
                       element_id: str | None = None, width: int = 560, height: int = 300) -> str:
    """Sliders for ``q(z) = N(mu, exp(logvar))`` on the 1-D model ``z ~ N(0, 1)``, ``x | z ~ N(w z + b, sigma^2)``
    (``LinearGaussianLVM`` with d = k = 1). The page computes the closed forms (the book's formulas) in
    JavaScript:

    - ``log p(x) = log N(x; b, w^2 + sigma^2)``;
    - ``p(z|x) = N(w (x - b) / (w^2 + sigma^2), sigma^2 / (w^2 + sigma^2))``;
    - ``ELBO = -1/2 log(2 pi sigma^2) - ((x - w mu - b)^2 + w^2 exp(logvar)) / (2 sigma^2) - KL(q || N(0, 1))``;
    - ``KL(q || p(z|x))``, the Gaussian KL;

    and draws the prior, the exact posterior and ``q`` over ``z``, and a bar where the ELBO and the KL gap
    stack up to ``log p(x)``. Registry: ``window.unsupElboExplorers[element_id]`` with ``set({mu, logvar, x})``
    (returns the numbers) and ``values``.
    """
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    spec = {"w": float(w), "b": float(b), "sigma": float(sigma), "x": float(x), "mu": float(mu0),
            "logvar": float(logvar0), "zE": float(z_extent), "xE": float(x_extent)}

    def slider(name, label, lo, hi, step, value):
        return (f'<label style="display:block;margin:4px 0"><span style="display:inline-block;width:170px">{label}'
                f'</span><input type="range" class="{name}" min="{lo}" max="{hi}" step="{step}" value="{value}" '
                f'style="width:260px;max-width:60vw;vertical-align:middle"> <span class="{name}-v" '
                f'style="font-family:monospace"></span></label>')

    controls = (slider("mu", "mean of q, &mu;", -z_extent, z_extent, 0.01, mu0)
                + slider("logvar", "log-variance of q, log &sigma;&sup2;", -6, 2, 0.01, logvar0)
                + slider("x", "the observed x", -x_extent, x_extent, 0.01, x))

    def markup(eid):
        return f"""<div id="{eid}" class="unsup-elbo-explorer" role="group" aria-label="ELBO explorer"
 style="font-family:sans-serif;font-size:13px;margin:8px 0;max-width:100%">
<div style="margin-bottom:4px">Model: z ~ N(0, 1), x | z ~ N({w:g} z + {b:g}, {sigma:g}&sup2;).
Move q; the exact numbers are recomputed in your browser.</div>
{controls}
<button type="button" class="snap" style="margin:4px 0">set q to the exact posterior</button>
<div style="display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start;margin-top:6px">
<canvas class="dens" width="{width}" height="{height}" role="img" aria-label="densities over z"
 style="border:1px solid #999;background:#fff;max-width:100%;box-sizing:border-box"></canvas>
<canvas class="bar" width="190" height="{height}" role="img" aria-label="log p(x) as ELBO plus KL"
 style="border:1px solid #999;background:#fff"></canvas>
<table class="nums" aria-live="polite" style="font-family:monospace;border-collapse:collapse"></table>
</div>
<div class="status" role="alert" style="color:#a00"></div>
</div>"""

    return _explorer("elbo", "unsup-elbo", element_id, spec, markup)
