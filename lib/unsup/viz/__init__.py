"""Plots for the book, by topic in chapter order. Each function returns a matplotlib Figure (or draws on a given
Axes and returns its figure) and never calls ``plt.show()``.

- ``style``: the book's figure style (sized for the page's main column, legible fonts), applied on import
- ``images``: image grids, labelled rows, signed images
- ``training``: curves over training
- ``autoencoders``: chapter 1 (8-3-8 codes, PCA, code size, 2-D codes, sampling an autoencoder)
- ``upsampling``: chapter 2 (value grids, transposed convolution step by step, overlap counts)
- ``elbo``: chapter 3 (push-forwards, Monte Carlo, the ELBO's gap)
- ``vae``: chapter 4 (the latent manifold, KL per dimension, the rate-distortion curve)
- ``gan``: chapter 5 (the 1-D GAN, mixture samples)

``glue`` lives in ``unsup.book``; ``unsup.viz.glue`` is the same function, kept for the chapters that import it
from here.
"""

from ..book import glue
from .autoencoders import (
    autoencoder_sampling,
    code_evolution,
    cosine_heatmap,
    error_vs_code_size,
    explained_variance,
    latent_scatter,
    principal_angle_curves,
    score_histograms,
)
from .elbo import elbo_decomposition, estimator_spread, histogram_vs_density, mc_estimates, pushforward_2d
from .gan import gan_1d_panels, mixture_samples
from .images import image_grid, image_rows, signed_images
from .style import BOOK_STYLE, displayed_text_px, legend_outside, use_book_style
from .training import plot_history, training_curves
from .upsampling import count_images, reconstructions_side_by_side, scatter_steps_figure, value_grid, value_grids
from .vae import kl_per_dimension_bars, latent_manifold, rate_distortion

# The one side effect of importing unsup.viz, so that chapters need no set-up line: the book's figure style.
use_book_style()

__all__ = [
    # the plots, in chapter order (tests/test_viz.py runs every one of them)
    "image_grid", "image_rows", "signed_images", "plot_history", "training_curves",
    "code_evolution", "explained_variance", "error_vs_code_size", "principal_angle_curves", "cosine_heatmap",
    "latent_scatter", "autoencoder_sampling", "score_histograms",
    "value_grid", "value_grids", "scatter_steps_figure", "count_images", "reconstructions_side_by_side",
    "histogram_vs_density", "pushforward_2d", "mc_estimates", "estimator_spread", "elbo_decomposition",
    "latent_manifold", "kl_per_dimension_bars", "rate_distortion",
    "gan_1d_panels", "mixture_samples",
    # the style and the helpers
    "BOOK_STYLE", "displayed_text_px", "glue", "legend_outside", "use_book_style",
]
PLOTS = tuple(__all__[:__all__.index("BOOK_STYLE")])
