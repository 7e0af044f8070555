// The GAN interpolation explorer (unsup.widgets.gan_interpolation_html): two of the anchor codes, the path
// between them (straight line or great circle) and the generator's image at t. Needs runtime.js.
(function () {
  "use strict";
  var R = window.unsupRuntime;
  function norm(v) { var s = 0; for (var i = 0; i < v.length; i++) s += v[i] * v[i]; return Math.sqrt(s); }
  R.boot("gan", "unsupGanExplorers", function (root, S) {
    var layers = R.prepare(S.layers), N = S.size;
    function decode(z) { return R.forward(layers, z); }
    var paint = R.painter(N, N, S.lo, S.hi);
    var state = {from: S.from, to: S.to, t: S.t, kind: "linear"};
    // z(t) = (1 - t) z0 + t z1, or slerp: [sin((1 - t) w) z0 + sin(t w) z1] / sin w, w the angle between them
    function path(t) {
      var a = S.anchors[state.from], b = S.anchors[state.to], z = new Array(a.length), i;
      var dot = 0, na = norm(a), nb = norm(b);
      for (i = 0; i < a.length; i++) dot += a[i] * b[i];
      var w = Math.acos(Math.min(1, Math.max(-1, dot / (na * nb))));
      for (i = 0; i < a.length; i++) {
        z[i] = state.kind === "slerp" && Math.abs(w) >= 1e-6
          ? (Math.sin((1 - t) * w) * a[i] + Math.sin(t * w) * b[i]) / Math.sin(w) : (1 - t) * a[i] + t * b[i];
      }
      return z;
    }
    var img = root.querySelector("canvas.image"), ictx = img.getContext("2d");
    var strip = root.querySelector("canvas.strip"), tctx = strip.getContext("2d"), tw = strip.height;
    var slider = root.querySelector("input.t"), selFrom = root.querySelector("select.from");
    var selTo = root.querySelector("select.to"), thumbs = [];
    S.anchors.forEach(function (a, k) {
      var button = document.createElement("button"), c = document.createElement("canvas");
      button.type = "button"; button.className = "anchor";
      button.setAttribute("aria-label", "code " + k + ": start here (Shift: end here)");
      button.style.cssText = "padding:0;border:3px solid #ddd;background:#fff;cursor:pointer;line-height:0";
      c.width = c.height = S.thumb; c.style.imageRendering = "pixelated"; c.setAttribute("aria-hidden", "true");
      paint(c.getContext("2d"), decode(a), 0, 0, S.thumb, S.thumb);
      button.appendChild(c);
      button.addEventListener("click", function (ev) { api.set(ev.shiftKey ? {to: k} : {from: k}); });
      button.addEventListener("contextmenu", function (ev) { ev.preventDefault(); api.set({to: k}); });
      root.querySelector(".anchors").appendChild(button); thumbs.push(button);
      [selFrom, selTo].forEach(function (sel) {
        var o = document.createElement("option"); o.value = String(k); o.textContent = "code " + k; sel.appendChild(o);
      });
    });
    var api = {decode: function (z) { return Array.from(decode(z)); }, path: function (t) { return path(t); },
               z: null, pixels: null, updates: 0, state: state};
    api.set = function (o) {
      o = o || {};
      ["from", "to", "t", "kind"].forEach(function (key) { if (o[key] !== undefined) state[key] = o[key]; });
      slider.value = state.t; selFrom.value = String(state.from); selTo.value = String(state.to);
      root.querySelectorAll("input[type=radio]").forEach(function (r) { r.checked = r.value === state.kind; });
      thumbs.forEach(function (c, k) {
        c.style.borderColor = k === state.from ? "#1f77b4" : k === state.to ? "#d62728" : "#ddd";
        c.setAttribute("aria-pressed", k === state.from ? "true" : "false");
      });
      var z = path(state.t), x = decode(z), text = "code " + state.from + " to code " + state.to +
        ", t = " + Number(state.t).toFixed(2) + ", |z| = " + norm(z).toFixed(2);
      paint(ictx, x, 0, 0, img.width, img.height);
      tctx.fillStyle = "#fff"; tctx.fillRect(0, 0, strip.width, strip.height);
      for (var s = 0; s < S.steps; s++) paint(tctx, decode(path(s / (S.steps - 1))), s * tw, 0, tw, tw);
      root.querySelector(".t-v").textContent = Number(state.t).toFixed(2);
      root.querySelector(".readout").textContent = text;
      img.setAttribute("aria-label", "the generator's image: " + text);
      strip.setAttribute("aria-label", S.steps + " images along the path from code " + state.from + " to code " +
                         state.to);
      api.z = z; api.pixels = Array.from(x); api.updates += 1;
    };
    slider.addEventListener("input", function () { api.set({t: parseFloat(slider.value)}); });
    selFrom.addEventListener("change", function () { api.set({from: parseInt(selFrom.value, 10)}); });
    selTo.addEventListener("change", function () { api.set({to: parseInt(selTo.value, 10)}); });
    root.querySelectorAll("input[type=radio]").forEach(function (r) {
      r.addEventListener("change", function () { if (r.checked) api.set({kind: r.value}); });
    });
    api.set();
    return api;
  });
})();
