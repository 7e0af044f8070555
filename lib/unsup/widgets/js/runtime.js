// The shared runtime of the book's explorers (unsup.widgets): float32 weights from base64, the layers a
// decoder or generator is made of, painting a grey image on a canvas, arrow-key handling, and booting every
// explorer from its JSON spec. Each explorer's own file (latent.js, gan.js, ...) calls unsupRuntime.boot.
// It is inlined once per explorer; loading it twice keeps the first copy.
(function (global) {
  "use strict";
  if (global.unsupRuntime && global.unsupRuntime.version === 1) return;
  var R = {version: 1};

  // base64 little-endian float32 -> Float32Array (the other half of unsup.widgets.spec.b64_f32)
  R.f32 = function (s) {
    var bin = atob(s), u = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i);
    return new Float32Array(u.buffer);
  };

  // A spec's layers with their weights decoded once: the layer dicts of unsup.widgets.spec (mlp_spec, convnet_spec).
  R.prepare = function (layers) {
    return layers.map(function (l) {
      if (l.type === "linear") return {type: "linear", nin: l["in"], nout: l.out, W: R.f32(l.W), b: R.f32(l.b)};
      if (l.type === "convT") {
        return {type: "convT", cin: l["in"], cout: l.out, k: l.k, s: l.s, p: l.p, W: R.f32(l.W), b: R.f32(l.b)};
      }
      if (l.type === "affine") return {type: "affine", c: l.c, scale: R.f32(l.scale), shift: R.f32(l.shift)};
      if (!(l.type in R.activations)) throw new Error("unknown layer type " + l.type);
      return l;
    });
  };

  // The activations, in place, by the names of unsup.layers.ACTIVATIONS.
  R.activations = {
    identity: function () {},
    relu: function (h) { for (var i = 0; i < h.length; i++) if (!(h[i] > 0)) h[i] = 0; },
    leaky_relu: function (h, l) { for (var i = 0; i < h.length; i++) if (h[i] < 0) h[i] *= l.slope; },
    // elu(x) = x for x > 0, alpha (e^x - 1) otherwise
    elu: function (h, l) { for (var i = 0; i < h.length; i++) if (h[i] < 0) h[i] = l.alpha * Math.expm1(h[i]); },
    sigmoid: function (h) { for (var i = 0; i < h.length; i++) h[i] = 1 / (1 + Math.exp(-h[i])); },
    tanh: function (h) { for (var i = 0; i < h.length; i++) h[i] = Math.tanh(h[i]); }
  };

  // h <- W h + b, W (out, in) row-major
  R.dense = function (l, h) {
    var o = new Float64Array(l.nout);
    for (var j = 0; j < l.nout; j++) {
      var s = l.b[j], off = j * l.nin;
      for (var i = 0; i < l.nin; i++) s += l.W[off + i] * h[i];
      o[j] = s;
    }
    return o;
  };

  // Transposed convolution of h (C, H, H): every input value scatters a copy of its kernel at stride s,
  // out[o, iy*s - p + ky, ix*s - p + kx] += in[i, iy, ix] * W[i, o, ky, kx], plus the bias b[o];
  // H_out = (H - 1) s - 2p + k.
  R.convT = function (l, h, H) {
    var k = l.k, Ho = (H - 1) * l.s - 2 * l.p + k, o = new Float64Array(l.cout * Ho * Ho), j;
    for (var c = 0; c < l.cout; c++) for (j = 0; j < Ho * Ho; j++) o[c * Ho * Ho + j] = l.b[c];
    for (var ci = 0; ci < l.cin; ci++) for (var iy = 0; iy < H; iy++) for (var ix = 0; ix < H; ix++) {
      var v = h[(ci * H + iy) * H + ix];
      if (v === 0) continue;
      for (var co = 0; co < l.cout; co++) {
        var wo = (ci * l.cout + co) * k * k, oo = co * Ho * Ho;
        for (var ky = 0; ky < k; ky++) {
          var y = iy * l.s - l.p + ky;
          if (y < 0 || y >= Ho) continue;
          for (var kx = 0; kx < k; kx++) {
            var x = ix * l.s - l.p + kx;
            if (x >= 0 && x < Ho) o[oo + y * Ho + x] += v * l.W[wo + ky * k + kx];
          }
        }
      }
    }
    return {h: o, H: Ho};
  };

  // The network on one input z: a vector through dense layers, or a (C, 1, 1) image through transposed
  // convolutions, per-channel affine maps (batch norm in eval mode) and activations.
  R.forward = function (layers, z) {
    var h = Float64Array.from(z), H = 1;
    for (var n = 0; n < layers.length; n++) {
      var l = layers[n];
      if (l.type === "linear") h = R.dense(l, h);
      else if (l.type === "convT") { var r = R.convT(l, h, H); h = r.h; H = r.H; }
      else if (l.type === "affine") {
        // h[c] <- scale[c] h[c] + shift[c] over each channel's H x H values
        for (var c = 0; c < l.c; c++) for (var j = 0; j < H * H; j++) {
          h[c * H * H + j] = h[c * H * H + j] * l.scale[c] + l.shift[c];
        }
      } else R.activations[l.type](h, l);
    }
    return h;
  };

  // A grey image x (h x w values, row-major) painted into ctx at (dx, dy), size dw x dh, pixels kept square:
  // the value lo is black, hi is white.
  R.painter = function (w, h, lo, hi) {
    var small = document.createElement("canvas"); small.width = w; small.height = h;
    var sctx = small.getContext("2d"), data = sctx.createImageData(w, h);
    return function (ctx, x, dx, dy, dw, dh) {
      for (var i = 0; i < w * h; i++) {
        var v = Math.round(255 * Math.min(1, Math.max(0, (x[i] - lo) / (hi - lo))));
        data.data[4 * i] = data.data[4 * i + 1] = data.data[4 * i + 2] = v; data.data[4 * i + 3] = 255;
      }
      sctx.putImageData(data, 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(small, dx, dy, dw, dh);
    };
  };

  // Arrow keys on a focused element: fn(dx, dy) with steps of 1 (10 with Shift); Home calls home().
  R.onArrows = function (el, fn, home) {
    var dirs = {ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1]};
    el.addEventListener("keydown", function (ev) {
      if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
      var d = dirs[ev.key], m = ev.shiftKey ? 10 : 1;
      if (d) fn(d[0] * m, d[1] * m);
      else if (ev.key === "Home" && home) home();
      else return;
      ev.preventDefault();  // the page does not scroll while the point moves
    });
  };

  // Start every explorer of this kind whose spec is on the page and not started yet: its root is the element
  // with the spec's id less "-spec"; init(root, spec) returns the explorer's API, stored in
  // window[registry][id]. An error is shown in the explorer's .status line instead of leaving it blank.
  R.boot = function (kind, registry, init) {
    var specs = document.querySelectorAll('script.unsup-spec[data-kind="' + kind + '"]');
    global[registry] = global[registry] || {};
    Array.prototype.forEach.call(specs, function (el) {
      if (el.getAttribute("data-started")) return;
      el.setAttribute("data-started", "1");
      var id = el.id.replace(/-spec$/, ""), root = document.getElementById(id);
      if (!root) return;
      try {
        global[registry][id] = init(root, JSON.parse(el.textContent), id);
      } catch (e) {
        var status = root.querySelector(".status");
        if (status) status.textContent = "explorer error: " + e;
        if (global.console) global.console.error(e);
      }
    });
  };

  global.unsupRuntime = R;
})(window);
