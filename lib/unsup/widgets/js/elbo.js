// The ELBO explorer (unsup.widgets.elbo_explorer_html): q(z) = N(mu, exp(logvar)) against the exact posterior of
// the 1-D model z ~ N(0, 1), x | z ~ N(w z + b, sigma^2), with the closed forms computed here. Needs runtime.js.
(function () {
  "use strict";
  var R = window.unsupRuntime, LOG2PI = Math.log(2 * Math.PI);
  function normPdf(z, m, v) { return Math.exp(-0.5 * (z - m) * (z - m) / v) / Math.sqrt(2 * Math.PI * v); }
  R.boot("elbo", "unsupElboExplorers", function (root, S) {
    function compute(mu, logvar, x) {
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
      return {logpx: logpx, elbo: elbo, kl: gap, recon: recon, klPrior: klPrior, postMean: pm, postVar: pv,
              mu: mu, logvar: logvar, x: x, sum: elbo + gap};
    }
    var dens = root.querySelector("canvas.dens"), bar = root.querySelector("canvas.bar");
    var dctx = dens.getContext("2d"), bctx = bar.getContext("2d");
    var inputs = {mu: root.querySelector("input.mu"), logvar: root.querySelector("input.logvar"),
                  x: root.querySelector("input.x")};
    function curve(ctx, f, color, dash, ymax, W, H, pad) {
      ctx.strokeStyle = color; ctx.lineWidth = 2; ctx.setLineDash(dash); ctx.beginPath();
      for (var i = 0; i <= 400; i++) {
        var z = -S.zE + 2 * S.zE * i / 400, y = Math.min(f(z), ymax * 1.2);
        var px = pad + (W - 2 * pad) * i / 400, py = H - pad - (H - 2 * pad) * y / ymax;
        if (i === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
      }
      ctx.stroke(); ctx.setLineDash([]);
    }
    function drawDensities(v) {
      var W = dens.width, H = dens.height, pad = 28, qv = Math.exp(v.logvar);
      dctx.clearRect(0, 0, W, H);
      var ymax = Math.max(normPdf(0, 0, 1), normPdf(0, 0, v.postVar),
                          Math.min(normPdf(0, 0, qv), 3 * normPdf(0, 0, v.postVar))) * 1.1;
      dctx.strokeStyle = "#999"; dctx.lineWidth = 1; dctx.beginPath();
      dctx.moveTo(pad, H - pad); dctx.lineTo(W - pad, H - pad); dctx.stroke();
      dctx.fillStyle = "#444"; dctx.font = "12px sans-serif";
      for (var t = Math.ceil(-S.zE); t <= S.zE; t++) {
        var px = pad + (W - 2 * pad) * (t + S.zE) / (2 * S.zE);
        dctx.fillText(String(t), px - 3, H - pad + 13);
      }
      dctx.fillText("z", W - pad + 6, H - pad + 4);
      curve(dctx, function (z) { return normPdf(z, 0, 1); }, "#aaaaaa", [], ymax, W, H, pad);
      curve(dctx, function (z) { return normPdf(z, v.postMean, v.postVar); }, "#2ca02c", [], ymax, W, H, pad);
      curve(dctx, function (z) { return normPdf(z, v.mu, qv); }, "#1f77b4", [7, 4], ymax, W, H, pad);
      var items = [["prior p(z)", "#aaaaaa"], ["exact posterior p(z|x)", "#2ca02c"], ["q(z)", "#1f77b4"]];
      items.forEach(function (it, i) {
        dctx.fillStyle = it[1]; dctx.fillRect(pad + 4, 8 + 16 * i, 14, 4); dctx.fillStyle = "#222";
        dctx.fillText(it[0], pad + 24, 13 + 16 * i);
      });
    }
    function drawBar(v) {
      var W = bar.width, H = bar.height, top = 34, bottom = H - 20;
      bctx.clearRect(0, 0, W, H);
      // vertical axis in nats: from log p(x) - 12 (bottom) to log p(x) + 2 (top)
      var hi = v.logpx + 2, lo = v.logpx - 12;
      function py(val) { return top + (bottom - top) * (hi - Math.max(lo, Math.min(hi, val))) / (hi - lo); }
      var x0 = 60, bw = 50;
      bctx.fillStyle = "#1f77b4"; bctx.fillRect(x0, py(v.elbo), bw, bottom - py(v.elbo));
      bctx.fillStyle = "#ff7f0e"; bctx.fillRect(x0, py(v.logpx), bw, py(v.elbo) - py(v.logpx));
      bctx.strokeStyle = "#000"; bctx.lineWidth = 2; bctx.beginPath();
      bctx.moveTo(x0 - 12, py(v.logpx)); bctx.lineTo(x0 + bw + 12, py(v.logpx)); bctx.stroke();
      bctx.fillStyle = "#222"; bctx.font = "12px sans-serif";
      bctx.fillText("log p(x)", x0 + bw + 14, py(v.logpx) + 4);
      bctx.fillText("nats", 6, 14);
      for (var t = Math.ceil(lo); t <= hi; t += 2) bctx.fillText(t.toFixed(0), 6, py(t) + 4);
      bctx.fillStyle = "#fff"; bctx.fillText("ELBO", x0 + 10, bottom - 6);
      bctx.fillStyle = "#ff7f0e"; bctx.fillText("KL gap", x0 + bw + 14, (py(v.logpx) + py(v.elbo)) / 2 + 14);
      if (v.elbo < lo) { bctx.fillStyle = "#a00"; bctx.fillText("ELBO below axis", x0 - 10, H - 4); }
    }
    function row(name, val, color, sci) {
      return "<tr><td style='padding:2px 8px;color:" + color + "'>" + name +
        "</td><td style='text-align:right;padding:2px 8px'>" + (sci ? val.toExponential(1) : val.toFixed(4)) +
        "</td></tr>";
    }
    var api = {values: null, updates: 0, compute: compute};
    api.set = function (o) {
      ["mu", "logvar", "x"].forEach(function (k) { if (o && o[k] !== undefined) inputs[k].value = o[k]; });
      var v = compute(parseFloat(inputs.mu.value), parseFloat(inputs.logvar.value), parseFloat(inputs.x.value));
      ["mu", "logvar", "x"].forEach(function (k) { root.querySelector("." + k + "-v").textContent = v[k].toFixed(2); });
      drawDensities(v); drawBar(v);
      root.querySelector("table.nums").innerHTML =
        row("log p(x)", v.logpx, "#000") + row("ELBO(q)", v.elbo, "#1f77b4") +
        row("&nbsp;&nbsp;E_q log p(x|z)", v.recon, "#1f77b4") +
        row("&nbsp;&nbsp;&minus; KL(q || p(z))", -v.klPrior, "#1f77b4") +
        row("KL(q || p(z|x))", v.kl, "#b35000") + row("ELBO + KL", v.sum, "#000") +
        row("log p(x) &minus; (ELBO + KL)", v.logpx - v.sum, "#555", true) +
        row("posterior mean", v.postMean, "#1a7a1a") + row("posterior log-var", Math.log(v.postVar), "#1a7a1a");
      dens.setAttribute("aria-label", "densities over z: prior N(0, 1), exact posterior N(" + v.postMean.toFixed(2) +
                        ", " + v.postVar.toFixed(2) + "), q = N(" + v.mu.toFixed(2) + ", exp(" +
                        v.logvar.toFixed(2) + "))");
      bar.setAttribute("aria-label", "log p(x) = " + v.logpx.toFixed(3) + " nats as ELBO " + v.elbo.toFixed(3) +
                       " plus KL gap " + v.kl.toFixed(3));
      api.values = v; api.updates += 1;
      return v;
    };
    ["mu", "logvar", "x"].forEach(function (k) { inputs[k].addEventListener("input", function () { api.set(); }); });
    root.querySelector("button.snap").addEventListener("click", function () {
      var v = compute(0, 0, parseFloat(inputs.x.value));
      api.set({mu: v.postMean, logvar: Math.log(v.postVar)});
    });
    api.set();
    return api;
  });
})();
