"""Explorers made of ipywidgets, computed in Python: live in a notebook with a kernel (Jupyter, Colab). A page
rendered without a kernel shows their controls frozen, so the book's HTML shows the JavaScript twins from
``unsup.widgets.html`` instead and these stay in the notebooks (hide their output in the built page)."""

from __future__ import annotations


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


def elbo_sliders(w: float = 2.0, b: float = 0.0, sigma: float = 1.0, x: float = 1.5):
    """The same explorer with ipywidgets and matplotlib, computed by ``unsup.elbo.LinearGaussianLVM`` in Python
    (live with a kernel only; in a page without one use ``elbo_explorer_html``)."""
    import io

    import ipywidgets as W
    import matplotlib.pyplot as plt
    import torch

    from ..elbo import LinearGaussianLVM

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
