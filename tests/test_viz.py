"""unsup.viz: every plot runs on small inputs and returns a Figure, and every figure is legible in the book's
main column (every text at least 0.8 x the body font at the size the page shows it). unsup.book: glue and
markdown_table."""

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from unsup import book, viz  # noqa: E402
from unsup.train import History  # noqa: E402
from unsup.viz import style  # noqa: E402

torch.set_num_threads(1)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _history():
    h = History()
    for e in range(4):
        h.append("train", {"loss": 3.0 - e, "recon": 2.0 - 0.3 * e})
        h.append("val", {"loss": 3.2 - e})
        h.seconds.append(1.0)
    return h


# one small call per public plot, with the options chapters use (titles, legends, several panels)
CALLS = {
    "image_grid": lambda: viz.image_grid(torch.rand(12, 1, 8, 8, generator=gen()), nrow=6, title="twelve images"),
    "image_rows": lambda: viz.image_rows({"original": torch.rand(6, 1, 8, 8, generator=gen()),
                                          "PCA, k = 8": torch.rand(6, 8, 8, generator=gen(1))}, title="rows"),
    "signed_images": lambda: viz.signed_images(torch.randn(16, 8, 8, generator=gen()), nrow=8,
                                               titles=[f"$v_{{{i + 1}}}$, λ={10 / (i + 1):.2f}" for i in range(16)],
                                               title="the first 16 principal components"),
    "plot_history": lambda: viz.plot_history(_history(), title="loss"),
    "training_curves": lambda: viz.training_curves({"training loss: −ELBO (one draw per example, batch mean)":
                                                    [3.0, 2.0, 1.5], "exact −log p(x)": [2.5, 1.8, 1.4]},
                                                   best=1.0, best_label="−log p(x) at the optimum", title="curves"),
    "code_evolution": lambda: viz.code_evolution(torch.arange(5), torch.rand(5, 8, 3, generator=gen()),
                                                 error=torch.rand(5, generator=gen()) + 0.1, title="8-3-8 codes"),
    "explained_variance": lambda: viz.explained_variance(torch.linspace(5, 0.01, 64), marks=(2, 8, 32),
                                                         title="spectrum"),
    "error_vs_code_size": lambda: viz.error_vs_code_size([2, 4, 8], {"PCA": [3.0, 2.0, 1.0],
                                                                     "MLP autoencoder": [2.5, 1.5, 0.9]}, title="e"),
    "principal_angle_curves": lambda: viz.principal_angle_curves([0, 100, 200], torch.rand(3, 2, generator=gen()) * 40,
                                                                 title="principal angles"),
    "cosine_heatmap": lambda: viz.cosine_heatmap(torch.rand(2, 2, generator=gen()) * 2 - 1, xlabel="eigenvector",
                                                 ylabel="decoder column", xticklabels=["$v_1$", "$v_2$"],
                                                 yticklabels=["$w_1$", "$w_2$"],
                                                 title="cosines between columns and eigenvectors"),
    "latent_scatter": lambda: viz.latent_scatter(torch.randn(200, 2, generator=gen()),
                                                 torch.randint(0, 10, (200,), generator=gen()),
                                                 samples=torch.randn(20, 2, generator=gen(1)), title="codes"),
    "autoencoder_sampling": lambda: viz.autoencoder_sampling(
        torch.randn(200, 2, generator=gen()), torch.randint(0, 10, (200,), generator=gen()),
        torch.randn(48, 2, generator=gen(1)), torch.rand(48, 1, 8, 8, generator=gen()),
        scatter_title="MLP autoencoder: training codes, and draws from a Gaussian fitted to them (x)"),
    "score_histograms": lambda: viz.score_histograms(
        {"other classes": torch.rand(300, generator=gen()), "bags (never seen in training)": torch.rand(50)},
        xlabel="reconstruction error", title="scores"),
    "value_grid": lambda: viz.value_grid(torch.arange(9.0).view(3, 3), title="a 3x3 matrix", highlight=[(0, 0)],
                                         window=(0, 0, 2, 2)),
    "value_grids": lambda: viz.value_grids([(torch.tensor([[1.0, 2], [3, 4]]), "input 2x2"),
                                            (torch.ones(4, 4), "nearest neighbour 4x4"),
                                            (torch.zeros(4, 4), "bed of nails 4x4")], suptitle="unpooling"),
    "scatter_steps_figure": lambda: viz.scatter_steps_figure(torch.tensor([[1.0, 2], [3, 4]]), torch.ones(3, 3),
                                                             stride=2, padding=1, output_padding=1,
                                                             suptitle="3x3 transposed convolution, stride 2"),
    "count_images": lambda: viz.count_images({"k=3, s=2 (k not a multiple of s)": torch.rand(8, 8, generator=gen()),
                                              "k=4, s=2 (k = 2s)": torch.rand(8, 8, generator=gen(1)),
                                              "k=5, s=3": torch.rand(8, 8, generator=gen(2)),
                                              "k=2, s=2 (no overlap)": torch.ones(8, 8)}, ncols=4,
                                             suptitle="how many kernel copies land on each output pixel"),
    "reconstructions_side_by_side": lambda: viz.reconstructions_side_by_side(
        torch.rand(4, 1, 8, 8, generator=gen()), {"transposed": torch.rand(4, 1, 8, 8, generator=gen(1)),
                                                  "nearest": torch.rand(4, 1, 8, 8, generator=gen(2))},
        nrow=2, zoom=(0, slice(0, 4), slice(0, 4)), suptitle="reconstructions"),
    "histogram_vs_density": lambda: viz.histogram_vs_density(torch.rand(1000, generator=gen()) ** 2,
                                                             lambda t: 0.5 / t.sqrt(), support=(0, 1), ylim=(0, 6),
                                                             label=r"$p(x) = 1 / (2\sqrt{x})$", title="x = z²"),
    "pushforward_2d": lambda: viz.pushforward_2d(lambda z: z * 2, n=100, lines=3, generator=gen(), title="push"),
    "mc_estimates": lambda: viz.mc_estimates([1, 10, 100], torch.randn(3, 3, generator=gen()), -1.0, title="MC"),
    "estimator_spread": lambda: viz.estimator_spread([1, 4, 16], {"score function": [1.0, 0.5, 0.25],
                                                                  "reparameterisation": [0.3, 0.15, 0.07]}, title="s"),
    "elbo_decomposition": lambda: viz.elbo_decomposition(torch.linspace(0, 1, 5), -1.0, -torch.ones(5) - 0.1,
                                                         0.1 * torch.ones(5), marker=0.5, title="ELBO"),
    "latent_manifold": lambda: viz.latent_manifold(lambda z: torch.sigmoid(z.sum(1, keepdim=True)).expand(-1, 64),
                                                   n=5, image_shape=(8, 8), title="decoder mean on a grid"),
    "kl_per_dimension_bars": lambda: viz.kl_per_dimension_bars(
        {"MLP 784-400-20, Bernoulli": torch.rand(5, generator=gen()), "σ = 0.05": torch.rand(5, generator=gen(1))},
        title="average KL per latent dimension"),
    "rate_distortion": lambda: viz.rate_distortion([30.0, 12.0, 4.0], [10.0, 20.0, 40.0],
                                                   ["β = 0.01", "β = 0.1", "β = 1"],
                                                   [torch.rand(6, 1, 8, 8, generator=gen(i)) for i in range(3)],
                                                   n_show=4, title="a beta sweep"),
    "gan_1d_panels": lambda: viz.gan_1d_panels(torch.linspace(-3, 3, 50), torch.rand(50, generator=gen()),
                                               [(torch.rand(50, generator=gen(i)), torch.rand(50, generator=gen(9)))
                                                for i in range(4)], ncols=2,
                                               titles=[f"after {250 * e} iterations" for e in range(4)]),
    "mixture_samples": lambda: viz.mixture_samples({f"GAN, seed {s}": torch.randn(100, 2, generator=gen(s))
                                                    for s in range(3)}, torch.randn(8, 2, generator=gen()), std=0.05,
                                                   ncols=3, suptitle="samples after 4,000 iterations"),
}


def test_every_public_plot_has_a_small_call():
    assert set(CALLS) == set(viz.PLOTS)


@pytest.fixture(params=sorted(CALLS))
def figure(request):
    fig = CALLS[request.param]()
    yield request.param, fig
    plt.close(fig)


def _legibility_failures(fig):
    width_px, texts = style.displayed_text_px(fig)
    small = [(s, round(px, 1)) for s, px in texts if px < style.MIN_TEXT_PX]
    return width_px, texts, small


def test_plot_returns_a_legible_figure(figure):
    name, fig = figure
    assert isinstance(fig, Figure), name
    assert fig.axes, f"{name} drew no axes"
    width_px, texts, small = _legibility_failures(fig)
    assert texts, f"{name}: no text found (the measurement would pass vacuously)"
    assert not small, (f"{name}: shown {min(width_px, style.COLUMN_PX):.0f} px wide (natural {width_px:.0f} px), "
                       f"texts under {style.MIN_TEXT_PX:.1f} px: {small}")
    # the house style sizes figures for the column: shown at (about) their natural size, never shrunk much
    assert width_px <= 1.05 * style.COLUMN_PX, f"{name}: {width_px:.0f} px wide, the column is {style.COLUMN_PX}"


def test_legibility_check_fails_for_a_too_wide_figure_and_for_tiny_fonts():
    # 13 in at 100 dpi is shown at 688/1320 of its size: 10 pt text becomes 7.3 px
    fig, ax = plt.subplots(figsize=(13, 3))
    ax.plot([0, 1])
    ax.set_title("too wide", fontsize=10)
    assert _legibility_failures(fig)[2]
    plt.close(fig)
    # column-wide but with 6 pt ticks: 8.3 px
    fig, ax = plt.subplots(figsize=(style.FIG_WIDTH, 3))
    ax.plot([0, 1])
    ax.tick_params(labelsize=6)
    small = _legibility_failures(fig)[2]
    assert small and all(s.replace(".", "").replace("−", "").isdigit() for s, _ in small)
    plt.close(fig)
    # the same figure at the house sizes passes
    fig, ax = plt.subplots(figsize=(style.FIG_WIDTH, 3))
    ax.plot([0, 1])
    ax.set_title("fits")
    assert not _legibility_failures(fig)[2]
    plt.close(fig)


def test_displayed_size_follows_the_column():
    fig, ax = plt.subplots(figsize=(2 * style.COLUMN_PX / 100, 3), dpi=100)
    ax.set_title("x", fontsize=20)
    width_px, texts = style.displayed_text_px(fig)
    shown = dict(texts)["x"]
    # 20 pt at 100 dpi is 27.8 px natural, shown at COLUMN_PX / width_px of that
    assert shown == pytest.approx(20 * 100 / 72 * style.COLUMN_PX / width_px)
    assert width_px > style.COLUMN_PX
    # the width is that of the PNG a notebook shows: saved with bbox_inches="tight" at the figure's dpi
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    png_width = int.from_bytes(buf.getvalue()[16:20], "big")  # the IHDR chunk's width
    assert abs(png_width - width_px) <= 2
    plt.close(fig)


def test_importing_viz_applies_the_book_style():
    matplotlib.rcParams["font.size"] = 5
    applied = viz.use_book_style()
    assert matplotlib.rcParams["font.size"] == applied["font.size"] == style.BASE
    assert tuple(matplotlib.rcParams["figure.figsize"]) == tuple(style.BOOK_STYLE["figure.figsize"])
    # the style's own minimum: every font it sets is legible at the figure's natural size
    for key in ("font.size", "xtick.labelsize", "ytick.labelsize", "legend.fontsize", "axes.titlesize"):
        assert applied[key] * style.DPI / 72 >= style.MIN_TEXT_PX, key
    assert (style.FIG_WIDTH + 2 * style.SAVE_PAD_IN) * style.DPI <= style.COLUMN_PX
    with pytest.raises(KeyError, match="not matplotlib rcParams"):
        viz.use_book_style({"font.sizes": 3})


def test_legends_sit_outside_the_data():
    fig = CALLS["kl_per_dimension_bars"]()
    ax = fig.axes[0]
    fig.canvas.draw()
    legend_box = ax.get_legend().get_window_extent()
    axes_box = ax.get_window_extent()
    assert not legend_box.overlaps(axes_box)
    plt.close(fig)


def test_shared_colour_scales_and_flat_panels():
    fig = viz.count_images({"a": torch.zeros(4, 4) + 2, "b": torch.arange(16.0).view(4, 4)})
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert {im.get_clim() for im in images} == {(0, 15.0)}
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "every pixel = 2" in texts  # the flat panel says its value
    plt.close(fig)
    # vmin=None: each panel on its own range, as the chapter asks for signed maps
    fig = viz.count_images({"a": torch.zeros(4, 4) - 1, "b": torch.arange(16.0).view(4, 4)}, vmin=None)
    clims = [ax.images[0].get_clim() for ax in fig.axes if ax.images]
    assert clims[1] == (0, 15.0) and clims[0] != clims[1]
    plt.close(fig)
    fig = viz.value_grids([(torch.zeros(2, 2), "zeros"), (torch.full((2, 2), 4.0), "fours")])
    assert {ax.images[0].get_clim() for ax in fig.axes} == {(0.0, 4.0)}
    plt.close(fig)


def test_viz_glue_is_book_glue():
    assert viz.glue is book.glue


def test_glue_records_a_python_number_for_the_prose(monkeypatch):
    import myst_nb.ext.glue as myst_glue

    shown = []
    monkeypatch.setattr(myst_glue, "ipy_display", lambda bundle, raw, metadata: shown.append((bundle, metadata)))
    value = book.glue("gap", torch.tensor(0.25, dtype=torch.float64))
    assert value == 0.25 and type(value) is float
    (bundle, metadata), = shown
    assert metadata["scrapbook"]["name"] == "gap"
    # the glued text is the Python number's, which `{glue:text}`gap:.2f`` can format
    assert [v for k, v in bundle.items() if k.endswith("text/plain")] == ["0.25"]


# --- markdown_table ---

def _text(md):
    return md if isinstance(md, str) else md.data


def test_markdown_table_defaults():
    t = _text(book.markdown_table([("PCA", 2, 0.123456789), ("MLP", 16, 12345.678)], ["model", "k", "error"]))
    assert t.splitlines() == ["| model | k | error |", "|:--|--:|--:|", "| PCA | 2 | 0.1235 |",
                              "| MLP | 16 | 1.235e+04 |"]


def test_markdown_table_formats_align_and_mappings():
    rows = [{"name": "a|b", "nats": 1.0, "n": 20000}, {"name": "c", "nats": 2.5, "n": 3}]
    t = _text(book.markdown_table(rows, ["name", "nats", "n"], formats={"nats": "{:.3f} nats"}, align="lcr"))
    assert t.splitlines() == ["| name | nats | n |", "|:--|:-:|--:|", r"| a\|b | 1.000 nats | 20,000 |",
                              "| c | 2.500 nats | 3 |"]
    t = _text(book.markdown_table([(1.0, 2.0)], ["x", "y"], formats=[".1f", lambda v: f"**{v:g}**"]))
    assert t.splitlines()[-1] == "| 1.0 | **2** |"
    assert _text(book.markdown_table([(1.23456, 2.0)], ["x", "y"], formats=".2f")).splitlines()[-1] == "| 1.23 | 2.00 |"


def test_markdown_table_renders_as_markdown():
    from IPython.display import Markdown

    md = book.markdown_table([(1,)], ["x"])
    assert isinstance(md, Markdown) and "| x |" in md._repr_markdown_()


@pytest.mark.parametrize("call, message", [
    (lambda: book.markdown_table([(1, 2, 3)], ["a", "b"]), "row 0 has 3 values but there are 2 headers"),
    (lambda: book.markdown_table([{"a": 1}], ["a", "b"]), r"row 0 has no value for the headers \['b'\]"),
    (lambda: book.markdown_table([(1, 2)], ["a", "b"], align="lx"), "align needs one of"),
    (lambda: book.markdown_table([(1, 2)], ["a", "b"], formats=[".1f"]), "formats has 1 entries for 2 columns"),
    (lambda: book.markdown_table([(1, 2)], ["a", "b"], formats={"c": ".1f"}), "not headers"),
    (lambda: book.markdown_table([(1,)], []), "at least one header"),
])
def test_markdown_table_bad_input_says_what_to_do(call, message):
    with pytest.raises(ValueError, match=message):
        call()
