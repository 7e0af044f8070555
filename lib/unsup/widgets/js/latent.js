// The 2-D latent explorer (unsup.widgets.latent_explorer_html): a point on the latent plane, moved by the
// pointer or the arrow keys, and the decoder's image of it. Needs runtime.js.
(function () {
  "use strict";
  var R = window.unsupRuntime;
  R.boot("latent", "unsupExplorers", function (root, spec) {
    var layers = R.prepare(spec.layers);
    function decode(z) { return R.forward(layers, z); }
    var plane = root.querySelector("canvas.plane"), img = root.querySelector("canvas.image");
    var readout = root.querySelector(".readout");
    var P = plane.width, E = spec.extent, pctx = plane.getContext("2d"), ictx = img.getContext("2d");
    var paint = R.painter(spec.w, spec.h, spec.lo, spec.hi);
    // plane pixels <-> codes: z1 grows to the right, z2 upwards
    function toPx(z) { return [(z[0] + E) / (2 * E) * P, (E - z[1]) / (2 * E) * P]; }
    function toZ(px, py) { return [px / P * 2 * E - E, E - py / P * 2 * E]; }
    function clamp(v) { return Math.min(E, Math.max(-E, v)); }
    // the encoded data and the grid, drawn once
    var background = document.createElement("canvas"); background.width = P; background.height = P;
    var b = background.getContext("2d");
    b.fillStyle = "#fff"; b.fillRect(0, 0, P, P);
    b.globalAlpha = 0.55;
    spec.points.forEach(function (p) {
      var q = toPx(p); b.fillStyle = spec.colors[p[2] % spec.colors.length]; b.fillRect(q[0] - 1.5, q[1] - 1.5, 3, 3);
    });
    b.globalAlpha = 1; b.strokeStyle = "#bbb"; b.lineWidth = 1; b.font = "12px sans-serif";
    for (var t = Math.ceil(-E); t <= E; t++) {
      var a = toPx([t, t]);
      b.beginPath(); b.moveTo(a[0], 0); b.lineTo(a[0], P); b.moveTo(0, a[1]); b.lineTo(P, a[1]); b.stroke();
      b.fillStyle = "#444"; b.fillText(String(t), a[0] + 2, P - 3); b.fillText(String(t), 2, a[1] - 2);
    }

    var api = {decode: function (z) { return Array.from(decode(z)); }, z: null, pixels: null, updates: 0,
               toZ: toZ, toPx: toPx, start: spec.start.slice()};
    api.setZ = function (z) {
      var x = decode(z), text = "z = (" + z[0].toFixed(2) + ", " + z[1].toFixed(2) + ")";
      paint(ictx, x, 0, 0, img.width, img.height);
      pctx.drawImage(background, 0, 0);
      var q = toPx(z);
      pctx.lineWidth = 4; pctx.strokeStyle = "#fff";
      pctx.beginPath(); pctx.arc(q[0], q[1], 6, 0, 2 * Math.PI); pctx.stroke();
      pctx.lineWidth = 2; pctx.strokeStyle = "#000";
      pctx.beginPath(); pctx.arc(q[0], q[1], 6, 0, 2 * Math.PI); pctx.stroke();
      readout.textContent = text;
      img.setAttribute("aria-label", "the decoder's image at " + text);
      api.z = [z[0], z[1]]; api.pixels = Array.from(x); api.updates += 1;
    };
    function onPointer(ev) {
      // the pointer in canvas pixels: inside the border, scaled when the page shrinks the canvas
      var r = plane.getBoundingClientRect(), sx = P / plane.clientWidth, sy = P / plane.clientHeight;
      var px = (ev.clientX - r.left - plane.clientLeft) * sx, py = (ev.clientY - r.top - plane.clientTop) * sy;
      api.setZ(toZ(Math.min(P, Math.max(0, px)), Math.min(P, Math.max(0, py))));
    }
    plane.addEventListener("pointermove", onPointer);
    plane.addEventListener("pointerdown", onPointer);
    // arrow keys move z by spec.step (Shift: ten steps), Home goes back to the start
    R.onArrows(plane, function (dx, dy) {
      var z = api.z || spec.start;
      api.setZ([clamp(z[0] + dx * spec.step), clamp(z[1] + dy * spec.step)]);
    }, function () { api.setZ(spec.start); });
    plane.addEventListener("focus", function () { plane.style.outline = "3px solid #1f77b4"; });
    plane.addEventListener("blur", function () { plane.style.outline = ""; });
    api.setZ(spec.start);
    return api;
  });
})();
