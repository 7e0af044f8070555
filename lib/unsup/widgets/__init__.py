"""Interactive explorers. Nothing is displayed at import.

- ``html``: explorers that run in the rendered page with no kernel (HTML + the package's JavaScript in
  ``js/``, one shared runtime): ``latent_explorer_html``, ``gan_interpolation_html``,
  ``conv_transpose_explorer_html``, ``elbo_explorer_html``.
- ``interactive``: ipywidgets explorers, live with a kernel only: ``latent_sliders``, ``elbo_sliders``.
- ``spec``: a network as the JSON spec the browser runs, and back: ``mlp_spec``, ``mlp_from_spec``,
  ``convnet_spec``, ``convnet_from_spec``, ``b64_f32``, ``f32_from_b64``.
"""

from .html import conv_transpose_explorer_html, elbo_explorer_html, gan_interpolation_html, latent_explorer_html
from .interactive import elbo_sliders, latent_sliders
from .spec import b64_f32, convnet_from_spec, convnet_spec, f32_from_b64, mlp_from_spec, mlp_spec

__all__ = [
    "b64_f32", "conv_transpose_explorer_html", "convnet_from_spec", "convnet_spec", "elbo_explorer_html",
    "elbo_sliders", "f32_from_b64", "gan_interpolation_html", "latent_explorer_html", "latent_sliders",
    "mlp_from_spec", "mlp_spec",
]
