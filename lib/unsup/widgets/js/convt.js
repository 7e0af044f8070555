// The transposed-convolution explorer (unsup.widgets.conv_transpose_explorer_html): sliders for n, k, s, p and
// output_padding, and the scatter of one kernel copy per input value, step by step. Needs runtime.js.
(function () {
  "use strict";
  var R = window.unsupRuntime;
  R.boot("convt", "unsupConvT", function (root, spec) {
    var st = {n: spec.n, k: spec.k, s: spec.s, p: spec.p, op: spec.op, mode: "count", step: spec.n * spec.n};
    var timer = null, last = null;
    function q(c) { return root.querySelector("." + c); }
    // the scatter: input value x[i][j] adds x[i][j] * w (w all ones) at rows s*i..s*i+k-1, cols s*j..s*j+k-1
    function compute() {
      var key = [st.n, st.k, st.s, st.p, st.op].join(",");
      var out = spec.sizes[key];
      var span = (st.n - 1) * st.s + st.k;                 // the full canvas before cropping
      var ok = typeof out === "number";
      var F = ok ? Math.max(span, st.p + out) : span;      // output_padding may reach past the last copy
      var full = [], x = [], i, j, a, b;
      for (i = 0; i < F; i++) full.push(new Array(F).fill(0));
      for (i = 0; i < st.n; i++) {
        x.push([]);
        for (j = 0; j < st.n; j++) x[i].push(st.mode === "count" ? 1 : i * st.n + j + 1);
      }
      for (var t = 0; t < st.step; t++) {
        i = Math.floor(t / st.n); j = t % st.n;
        for (a = 0; a < st.k; a++) for (b = 0; b < st.k; b++) full[st.s * i + a][st.s * j + b] += x[i][j];
      }
      var o = [];
      if (ok) for (i = 0; i < out; i++) o.push(full[st.p + i].slice(st.p, st.p + out));
      return {key: key, out: out, ok: ok, span: span, F: F, full: full, x: x, o: o};
    }
    function cellColor(v, vmax) {
      if (v === 0) return "#ffffff";
      var t = Math.min(1, v / vmax), l = Math.round(92 - 55 * t);
      return "hsl(215,70%," + l + "%)";
    }
    // a matrix as a grid of numbered cells; opts: vmax, maxCell, showZero, outside(i, j), mark(i, j), box, box2
    function grid(cv, m, size, opts) {
      var ctx = cv.getContext("2d"), rows = m.length, cols = rows ? m[0].length : 0;
      var cell = Math.max(8, Math.min(opts.maxCell || 40, Math.floor((size - 2) / Math.max(rows, cols, 1))));
      cv.width = cols * cell + 2; cv.height = rows * cell + 2;
      ctx.clearRect(0, 0, cv.width, cv.height);
      ctx.font = Math.max(8, Math.floor(cell * 0.42)) + "px sans-serif";
      ctx.textAlign = "center"; ctx.textBaseline = "middle";
      for (var i = 0; i < rows; i++) for (var j = 0; j < cols; j++) {
        var v = m[i][j], x0 = 1 + j * cell, y0 = 1 + i * cell;
        ctx.fillStyle = cellColor(v, opts.vmax || 1);
        ctx.fillRect(x0, y0, cell, cell);
        if (opts.outside && opts.outside(i, j)) {
          ctx.fillStyle = "rgba(120,120,120,0.35)"; ctx.fillRect(x0, y0, cell, cell);
        }
        if (opts.mark && opts.mark(i, j)) {
          ctx.fillStyle = "rgba(255,160,40,0.45)"; ctx.fillRect(x0, y0, cell, cell);
        }
        ctx.strokeStyle = "#888"; ctx.lineWidth = 1; ctx.strokeRect(x0 + 0.5, y0 + 0.5, cell, cell);
        if (cell >= 14 && (v !== 0 || opts.showZero)) {
          ctx.fillStyle = (v / (opts.vmax || 1) > 0.6) ? "#fff" : "#000";
          ctx.fillText(String(v), x0 + cell / 2, y0 + cell / 2);
        }
      }
      [opts.box, opts.box2].forEach(function (bx) {
        if (!bx) return;
        ctx.strokeStyle = bx.color; ctx.lineWidth = bx.width || 3; ctx.setLineDash(bx.dash || []);
        ctx.strokeRect(1 + bx.c * cell, 1 + bx.r * cell, bx.w * cell, bx.h * cell);
        ctx.setLineDash([]);
      });
      return cell;
    }
    function draw() {
      var r = compute(), vmax = 1, i, j;
      for (i = 0; i < r.F; i++) for (j = 0; j < r.F; j++) vmax = Math.max(vmax, r.full[i][j]);
      ["n", "k", "s", "p", "op"].forEach(function (c) { q(c).value = st[c]; q(c + "-v").textContent = st[c]; });
      // H_out = (n - 1) s - 2p + k + output_padding
      var f = "H_out = (n - 1)\u00b7s - 2p + k + output_padding = (" + st.n + " - 1)\u00b7" + st.s + " - 2\u00b7" +
              st.p + " + " + st.k + " + " + st.op + " = " + ((st.n - 1) * st.s - 2 * st.p + st.k + st.op);
      q("formula").innerHTML = r.ok
        ? f + " &nbsp;&rarr; input " + st.n + "&times;" + st.n + ", output " + r.out + "&times;" + r.out
        : f + "<br><span style='color:#a00'>PyTorch refuses these settings: " + r.out + "</span>";
      var t = st.step, cur = t > 0 ? t - 1 : -1, ci = Math.floor(cur / st.n), cj = cur % st.n;
      var info = "Step " + t + " of " + (st.n * st.n) + ". ";
      if (cur >= 0) {
        info += "Input x[" + ci + "," + cj + "] = " + r.x[ci][cj] + " adds its copy of the " + st.k + "&times;" +
                st.k + " kernel (times " + r.x[ci][cj] + ") with its top-left corner at row " + (st.s * ci) +
                ", column " + (st.s * cj) + " of the full canvas: neighbouring inputs land s = " + st.s +
                " cells apart.";
      } else {
        info += "Nothing scattered yet: press step.";
      }
      if (t === st.n * st.n) {
        info += " All " + (st.n * st.n) + " copies are in; the window is the output." +
          (st.mode === "count" ? " Unequal numbers inside the window are the checkerboard: " +
           (st.k % st.s === 0 ? "here k is a multiple of s, so away from the edges every cell gets the same count."
            : "k = " + st.k + " is not a multiple of s = " + st.s + ", so the counts alternate.") : "");
      }
      q("stepinfo").innerHTML = info;
      var xmax = Math.max.apply(null, r.x.map(function (row) { return Math.max.apply(null, row); }));
      grid(q("cin"), r.x, 200, {vmax: xmax, maxCell: 36, showZero: true,
                                mark: function (i, j) { return i === ci && j === cj; }});
      var win = r.ok ? {r: st.p, c: st.p, w: r.out, h: r.out, color: "#d62728", dash: [7, 4], width: 3} : null;
      grid(q("cfull"), r.full, 560, {vmax: vmax, maxCell: 40,
        outside: function (i, j) { return !r.ok || i < st.p || j < st.p || i >= st.p + r.out || j >= st.p + r.out; },
        mark: function (i, j) {
          return cur >= 0 && i >= st.s * ci && i < st.s * ci + st.k && j >= st.s * cj && j < st.s * cj + st.k;
        },
        box: win, box2: cur >= 0 ? {r: st.s * ci, c: st.s * cj, w: st.k, h: st.k, color: "#ff7f0e"} : null});
      if (r.ok) grid(q("cout"), r.o, 260, {vmax: vmax, maxCell: 36});
      else { var c = q("cout"); c.getContext("2d").clearRect(0, 0, c.width, c.height); }
      q("cin").setAttribute("aria-label", "input: " + st.n + " by " + st.n + " values");
      q("cfull").setAttribute("aria-label", "full canvas before cropping, " + r.F + " by " + r.F + ", after step " +
                              st.step);
      q("cout").setAttribute("aria-label", r.ok ? "output: " + r.out + " by " + r.out + " values: " +
                             r.o.map(function (row) { return row.join(" "); }).join("; ") : "no output");
      last = r;
    }
    function stop() { if (timer) { clearInterval(timer); timer = null; q("play").innerHTML = "&#9654; play"; } }
    ["n", "k", "s", "p", "op"].forEach(function (c) {
      q(c).addEventListener("input", function () {
        stop(); st[c] = parseInt(q(c).value, 10); st.step = st.n * st.n; draw();
      });
    });
    q("first").addEventListener("click", function () { stop(); st.step = 0; draw(); });
    q("last").addEventListener("click", function () { stop(); st.step = st.n * st.n; draw(); });
    q("prev").addEventListener("click", function () { stop(); st.step = Math.max(0, st.step - 1); draw(); });
    q("next").addEventListener("click", function () { stop(); st.step = Math.min(st.n * st.n, st.step + 1); draw(); });
    q("play").addEventListener("click", function () {
      if (timer) { stop(); return; }
      if (st.step >= st.n * st.n) st.step = 0;
      q("play").innerHTML = "&#10074;&#10074; pause";
      draw();
      timer = setInterval(function () {
        if (st.step >= st.n * st.n) { stop(); return; }
        st.step += 1; draw();
      }, 700);
    });
    q("mode-count").addEventListener("change", function () { st.mode = "count"; draw(); });
    q("mode-values").addEventListener("change", function () { st.mode = "values"; draw(); });
    draw();
    return {
      set: function (o) {
        stop();
        ["n", "k", "s", "p", "op", "mode"].forEach(function (c) { if (o[c] !== undefined) st[c] = o[c]; });
        st.step = o.step !== undefined ? o.step : st.n * st.n;
        q("mode-" + st.mode).checked = true;
        draw();
      },
      state: function () {
        return {out: last.out, ok: last.ok, span: last.span, full: last.full, o: last.o, step: st.step,
                formula: q("formula").textContent};
      }
    };
  });
})();
