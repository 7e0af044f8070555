"""unsup.upsample against PyTorch and against the mathematics: unpooling, transposed convolution written as a
scatter of kernels, the matrix form of a 1-D convolution (adjoint identity), the output-size arithmetic, the
gradient of a convolution, clear errors on bad shapes, and a smoke fit of the checkerboard autoencoder."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from unsup import upsample as U

FAST = settings(max_examples=60, deadline=None)


def randn(*shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64)


# --- the lecture's examples ---------------------------------------------------------------------------------

X22 = torch.tensor([[1.0, 2.0], [3.0, 4.0]])[None, None]  # (1, 1, 2, 2)


def test_lecture_nearest_and_bed_of_nails():
    assert U.nearest_unpool2d(X22, 2)[0, 0].tolist() == [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]
    assert U.bed_of_nails_unpool2d(X22, 2)[0, 0].tolist() == [[1, 0, 2, 0], [0, 0, 0, 0], [3, 0, 4, 0],
                                                               [0, 0, 0, 0]]


def test_lecture_max_unpooling():
    x = torch.tensor([[1.0, 2, 6, 3], [3, 5, 2, 1], [1, 2, 2, 1], [7, 3, 4, 8]])[None, None]
    pooled, idx = F.max_pool2d(x, 2, return_indices=True)
    assert pooled[0, 0].tolist() == [[5, 6], [7, 8]]
    out = U.max_unpool2d(X22, idx, 2)
    assert out[0, 0].tolist() == [[0, 0, 2, 0], [0, 1, 0, 0], [0, 0, 0, 0], [3, 0, 0, 4]]


def test_lecture_1d_matrix_and_its_transpose():
    # the slide's X acts on the already padded vector (0, a, b, c, d, 0): a padding-0 matrix on length 6
    X = U.symbolic_conv1d_matrix("xyz", 6, stride=2, padding=0)
    assert X == [list("xyz000"), list("00xyz0")]
    assert U.symbolic_matvec(X, list("0abcd0")) == ["ay + bz", "bx + cy + dz"]
    XT = [list(r) for r in zip(*X)]
    assert U.symbolic_matvec(XT, list("ab")) == ["ax", "ay", "az + bx", "by", "bz", "0"]
    # PyTorch agrees: the 6 entries need output_padding=1; padding=0 alone gives 5
    assert U.symbolic_conv1d("xyz", "ab", 2, 0, transposed=True, output_padding=1) == U.symbolic_matvec(XT, "ab")
    assert len(U.symbolic_conv1d("xyz", "ab", 2, 0, transposed=True)) == 5
    # the true transpose of the padding-1 convolution of (a, b, c, d) drops the entries on the padding
    C = U.symbolic_conv1d_matrix("xyz", 4, stride=2, padding=1)
    CT = [list(r) for r in zip(*C)]
    assert U.symbolic_matvec(CT, "ab") == U.symbolic_conv1d("xyz", "ab", 2, 1, transposed=True, output_padding=1)
    assert U.symbolic_matvec(CT, "ab") == ["ay", "az + bx", "by", "bz"]


def test_lecture_2d_transposed_conv_sizes():
    # 3 x 3, stride 2, pad 1 on a 2 x 2 input: 3 x 3 in PyTorch; 4 x 4 (the slide) needs output_padding=1
    assert U.conv_transpose_output_size(2, 3, 2, 1) == 3
    assert U.conv_transpose_output_size(2, 3, 2, 1, output_padding=1) == 4
    w = randn(1, 1, 3, 3)
    assert U.conv_transpose2d(X22.double(), w, 2, 1).shape[-2:] == (3, 3)
    assert U.conv_transpose2d(X22.double(), w, 2, 1, 1).shape[-2:] == (4, 4)
    # both 3 x 3 and 4 x 4 inputs give 2 x 2 under the forward convolution: output_padding picks one
    assert U.conv_output_size(3, 3, 2, 1) == U.conv_output_size(4, 3, 2, 1) == 2


# --- property tests against torch -----------------------------------------------------------------------------

conv_t_cases = st.fixed_dictionaries({
    "n": st.integers(1, 3), "c_in": st.integers(1, 3), "c_out": st.integers(1, 3),
    "h": st.integers(1, 6), "w": st.integers(1, 6), "kh": st.integers(1, 4), "kw": st.integers(1, 4),
    "sh": st.integers(1, 3), "sw": st.integers(1, 3), "ph": st.integers(0, 2), "pw": st.integers(0, 2),
    "oph": st.integers(0, 2), "opw": st.integers(0, 2), "dh": st.integers(1, 2), "dw": st.integers(1, 2),
    "seed": st.integers(0, 2**16),
})


def _valid(c):
    return all([c["oph"] < max(c["sh"], c["dh"]), c["opw"] < max(c["sw"], c["dw"]),
                (c["h"] - 1) * c["sh"] - 2 * c["ph"] + c["dh"] * (c["kh"] - 1) + c["oph"] + 1 > 0,
                (c["w"] - 1) * c["sw"] - 2 * c["pw"] + c["dw"] * (c["kw"] - 1) + c["opw"] + 1 > 0])


@FAST
@given(conv_t_cases)
def test_conv_transpose2d_matches_torch(c):
    assume(_valid(c))
    x = randn(c["n"], c["c_in"], c["h"], c["w"], seed=c["seed"])
    w = randn(c["c_in"], c["c_out"], c["kh"], c["kw"], seed=c["seed"] + 1)
    s, p, op, d = (c["sh"], c["sw"]), (c["ph"], c["pw"]), (c["oph"], c["opw"]), (c["dh"], c["dw"])
    ref = F.conv_transpose2d(x, w, None, s, p, op, 1, d)
    mine = U.conv_transpose2d(x, w, s, p, op, d)
    torch.testing.assert_close(mine, ref)
    assert mine.shape[-2:] == tuple(U.conv_transpose_output_size(
        (c["h"], c["w"])[a], (c["kh"], c["kw"])[a], s[a], p[a], op[a], d[a]) for a in range(2))


@FAST
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 5), st.integers(0, 2), st.integers(1, 4),
       st.integers(0, 2**16))
def test_conv_transpose2d_int_arguments_and_the_scatter_picture(h, k, s, p, op_raw, seed):
    op = op_raw % s
    assume((h - 1) * s - 2 * p + k + op > 0)
    x, w = randn(1, 1, h, h + 1, seed=seed), randn(1, 1, k, k, seed=seed + 1)
    ref = F.conv_transpose2d(x, w, stride=s, padding=p, output_padding=op)
    torch.testing.assert_close(U.conv_transpose2d(x, w, s, p, op), ref)
    # one input value at a time: the last canvas, cropped, is the transposed convolution
    steps = list(U.scatter_steps(x[0, 0], w[0, 0], s, p, op))
    assert len(steps) == x[0, 0].numel()
    top, left, ho, wo = steps[-1]["crop"]
    torch.testing.assert_close(steps[-1]["full"][top:top + ho, left:left + wo], ref[0, 0])
    for st_ in steps:  # each step adds exactly x[i, j] * kernel at (s i, s j)
        i, j = st_["pos"]
        assert st_["corner"] == (s * i, s * j)
        torch.testing.assert_close(st_["copy"], x[0, 0, i, j] * w[0, 0])


@FAST
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 5), st.integers(1, 5), st.integers(1, 3),
       st.integers(1, 3), st.integers(0, 2**16))
def test_unpooling_matches_torch(n, c, h, w, kh, kw, seed):
    x = randn(n, c, h, w, seed=seed)
    torch.testing.assert_close(U.nearest_unpool2d(x, (kh, kw)),
                               F.interpolate(x, scale_factor=(kh, kw), mode="nearest"))
    nails = U.bed_of_nails_unpool2d(x, (kh, kw))
    assert nails.shape == (n, c, kh * h, kw * w)
    torch.testing.assert_close(nails[:, :, ::kh, ::kw], x)
    assert torch.count_nonzero(nails) == torch.count_nonzero(x)  # nothing but the nails
    # max pooling, then max unpooling: the maxima go back where they were, zeros elsewhere
    big = randn(n, c, kh * h, kw * w, seed=seed + 1)
    pooled, idx = F.max_pool2d(big, (kh, kw), return_indices=True)
    torch.testing.assert_close(U.max_unpool2d(pooled, idx, (kh, kw)), F.max_unpool2d(pooled, idx, (kh, kw)))
    mask = U.max_unpool2d(pooled, idx, (kh, kw)) != 0
    torch.testing.assert_close(big[mask].sort().values, pooled.flatten().sort().values)


def test_max_unpool_ragged_input_needs_output_size():
    x = randn(1, 2, 5, 5)
    pooled, idx = F.max_pool2d(x, 2, return_indices=True)  # (1, 2, 2, 2): the last row/column is dropped
    ref = F.max_unpool2d(pooled, idx, 2, output_size=(5, 5))
    torch.testing.assert_close(U.max_unpool2d(pooled, idx, 2, output_size=(5, 5)), ref)
    if int(idx.max()) >= 16:  # an index beyond a 4 x 4 output must be refused, not written elsewhere
        with pytest.raises(ValueError, match="output_size"):
            U.max_unpool2d(pooled, idx, 2)


@FAST
@given(st.integers(1, 10), st.integers(1, 5), st.integers(1, 4), st.integers(0, 3), st.integers(0, 2**16))
def test_conv1d_matrix_is_conv_and_its_transpose_is_conv_transpose(length, k, s, p, seed):
    assume(length + 2 * p >= k)
    w = randn(k, seed=seed)
    C = U.conv1d_matrix(w, length, s, p)
    l_out = U.conv_output_size(length, k, s, p)
    assert C.shape == (l_out, length)
    x, y = randn(length, seed=seed + 1), randn(l_out, seed=seed + 2)
    # C x = conv1d(x)
    torch.testing.assert_close(C @ x, F.conv1d(x.view(1, 1, -1), w.view(1, 1, -1), stride=s, padding=p).flatten())
    # C^T y = conv_transpose1d(y), with output_padding chosen to give back length L_in
    # L_in = (L_out - 1) s - 2p + k + output_padding
    op = length - ((l_out - 1) * s - 2 * p + k)
    assume(0 <= op < s)  # otherwise no conv_transpose1d has length L_in (e.g. all outputs read padding)
    ref = F.conv_transpose1d(y.view(1, 1, -1), w.view(1, 1, -1), stride=s, padding=p, output_padding=op)
    torch.testing.assert_close(C.T @ y, ref.flatten())
    # the adjoint identity <C x, y> = <x, C^T y>, with the library's convolutions on both sides
    lhs = torch.dot(F.conv1d(x.view(1, 1, -1), w.view(1, 1, -1), stride=s, padding=p).flatten(), y)
    rhs = torch.dot(x, ref.flatten())
    torch.testing.assert_close(lhs, rhs)


@FAST
@given(conv_t_cases)
def test_conv_transpose_is_the_gradient_of_conv(c):
    """d<conv2d(x, w), g>/dx = conv_transpose2d(g, w): the backward pass of a convolution is its transpose."""
    # a forward conv with the same settings; its input size is the transposed conv's output size
    assume(_valid(c))
    s, p, op, d = (c["sh"], c["sw"]), (c["ph"], c["pw"]), (c["oph"], c["opw"]), (c["dh"], c["dw"])
    g = randn(c["n"], c["c_in"], c["h"], c["w"], seed=c["seed"])  # lives where conv's output lives
    w = randn(c["c_in"], c["c_out"], c["kh"], c["kw"], seed=c["seed"] + 1)  # conv2d reads it as (C_out, C_in, ...)
    size = U.conv_transpose2d(g, w, s, p, op, d).shape[-2:]
    x = randn(c["n"], c["c_out"], *size, seed=c["seed"] + 2).requires_grad_(True)
    y = F.conv2d(x, w, stride=s, padding=p, dilation=d)
    assume(y.shape == g.shape)  # conv of that size comes back to g's size
    (grad,) = torch.autograd.grad((y * g).sum(), x)
    torch.testing.assert_close(U.conv_transpose2d(g, w, s, p, op, d), grad)
    # and the adjoint identity in 2-D: <conv(x), g> = <x, convT(g)>
    torch.testing.assert_close((y * g).sum(), (x * U.conv_transpose2d(g, w, s, p, op, d)).sum())


@FAST
@given(st.integers(1, 12), st.integers(1, 6), st.integers(1, 4), st.integers(0, 3), st.integers(0, 3),
       st.integers(1, 3))
def test_output_size_formulas_match_torch(n, k, s, p, op, d):
    assume(op < max(s, d))
    try:
        ref_t = F.conv_transpose1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=s, padding=p,
                                   output_padding=op, dilation=d).shape[-1]
    except RuntimeError:  # torch refuses: the output would be empty
        ref_t = None
    if ref_t is None:
        with pytest.raises(ValueError, match="less padding"):
            U.conv_transpose_output_size(n, k, s, p, op, d)
    else:
        assert U.conv_transpose_output_size(n, k, s, p, op, d) == ref_t
    if n + 2 * p >= d * (k - 1) + 1:
        ref = F.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=s, padding=p, dilation=d).shape[-1]
        assert U.conv_output_size(n, k, s, p, d) == ref


def test_transposed_conv_is_bed_of_nails_then_convolution():
    """Zeros between the values, then an ordinary convolution with the flipped kernel: the same map."""
    x = randn(2, 3, 5, 4)
    v = randn(4, 3, 3, 3)  # a Conv2d weight (C_out, C_in, 3, 3)
    lhs = F.conv2d(U.bed_of_nails_unpool2d(x, 2), v, padding=1)
    rhs = U.conv_transpose2d(x, v.flip(-1, -2).transpose(0, 1), stride=2, padding=1, output_padding=1)
    torch.testing.assert_close(lhs, rhs)


def test_overlap_count_checkerboard():
    # kernel 3, stride 2: uneven (1, 2 and 4 copies); kernel 4, stride 2: even away from the border
    c3, c4 = U.overlap_count(5, 3, 2), U.overlap_count(5, 4, 2, padding=1)
    assert set(c3[2:-2, 2:-2].unique().tolist()) == {1.0, 2.0, 4.0}
    assert set(c4[2:-2, 2:-2].unique().tolist()) == {4.0}


def test_not_an_inverse():
    w = randn(3)
    C = U.conv1d_matrix(w, 8, stride=2, padding=1)
    assert not torch.allclose(C.T @ C, torch.eye(8, dtype=C.dtype), atol=0.1)
    # an orthogonal case: non-overlapping kernels (k = s) of unit norm give C C^T = I
    w2 = torch.tensor([0.6, 0.8], dtype=torch.float64)
    C2 = U.conv1d_matrix(w2, 8, stride=2)
    torch.testing.assert_close(C2 @ C2.T, torch.eye(4, dtype=C2.dtype))


# --- clear errors --------------------------------------------------------------------------------------------

def test_errors_say_what_to_do():
    with pytest.raises(ValueError, match=r"4-D tensor \(N, C, H, W\).*batch dimension"):
        U.nearest_unpool2d(torch.zeros(1, 2, 2), 2)
    with pytest.raises(ValueError, match="upsampling factor"):
        U.bed_of_nails_unpool2d(torch.zeros(1, 1, 2, 2), 0)
    with pytest.raises(ValueError, match=r"C_in=3.*\(C_in, C_out, kH, kW\).*transpose\(0, 1\)"):
        U.conv_transpose2d(torch.zeros(1, 3, 2, 2), torch.zeros(4, 3, 3, 3))
    with pytest.raises(ValueError, match="weight must be 4-D"):
        U.conv_transpose2d(torch.zeros(1, 3, 2, 2), torch.zeros(3, 3, 3))
    with pytest.raises(ValueError, match="output_padding .* smaller than the stride"):
        U.conv_transpose2d(torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 3, 3), stride=2, output_padding=2)
    with pytest.raises(ValueError, match="less padding"):
        U.conv_transpose2d(torch.zeros(1, 1, 1, 1), torch.zeros(1, 1, 1, 1), padding=1)
    with pytest.raises(TypeError, match="int or a pair"):
        U.conv_transpose2d(torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 3, 3), stride=(1, 2, 3))
    with pytest.raises(ValueError, match="indices must have the shape"):
        U.max_unpool2d(torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 3, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="1-D kernel"):
        U.conv1d_matrix(torch.zeros(3, 3), 5)
    with pytest.raises(ValueError, match="does not fit"):
        U.conv1d_matrix(torch.zeros(5), 3)
    with pytest.raises(ValueError, match="upsampling must be one of"):
        U.ConvAutoencoder("bilinear")
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        U.ConvAutoencoder()(torch.zeros(2, 784))


# --- the checkerboard autoencoder ------------------------------------------------------------------------------

@pytest.mark.parametrize("upsampling", U.UPSAMPLING)
def test_autoencoder_shapes(upsampling):
    m = U.ConvAutoencoder(upsampling, latent_dim=4, channels=2)
    x = torch.rand(3, 1, 28, 28)
    x_hat = m(x)
    assert x_hat.shape == x.shape and (x_hat > 0).all() and (x_hat < 1).all()
    assert U.squared_error(x_hat, x).shape == (3,)
    torch.testing.assert_close(U.squared_error(x_hat, x), ((x_hat - x) ** 2).sum(dim=(1, 2, 3)))


def test_chapter_2_names_are_the_one_autoencoder_and_loss():
    from unsup import autoencoders

    m = U.ConvAutoencoder("nearest", latent_dim=4, channels=2, kernel_size=5)
    assert isinstance(m, autoencoders.ConvAutoencoder) and m.upsampling == "nearest" and m.code_size == 4
    assert m.decoder[-2][1].kernel_size == (5, 5) and m.decoder[-2][1].in_channels == 2  # the last upsampling block
    assert U.squared_error is autoencoders.reconstruction_error
    assert U.reconstruction_loss is autoencoders.reconstruction_loss
    with pytest.raises(AttributeError, match="no attribute"):
        U.no_such_name  # noqa: B018


def test_unpool_layers_are_the_functions():
    x = torch.randn(2, 3, 4, 5)
    torch.testing.assert_close(U.Unpool(2, "nearest")(x), U.nearest_unpool2d(x, 2))
    torch.testing.assert_close(U.BedOfNails(3)(x), U.bed_of_nails_unpool2d(x, 3))
    torch.testing.assert_close(U.NearestUnpool(2)(x), F.interpolate(x, scale_factor=2, mode="nearest"))
    with pytest.raises(ValueError, match="kind must be one of"):
        U.Unpool(2, "max")


def test_autoencoder_smoke_fit():
    from unsup import train

    torch.manual_seed(0)
    # eight images of one bright square each, at different places: far from the 0.5 grey of a new model
    x = torch.zeros(8, 1, 28, 28)
    for i in range(8):
        x[i, 0, 3 * i:3 * i + 6, 2 * i:2 * i + 6] = 1.0
    m = U.ConvAutoencoder("transposed", latent_dim=4, channels=2)
    before = train.evaluate(m, U.reconstruction_loss, [x])["loss"]
    train.fit(m, U.reconstruction_loss, [x], epochs=20, lr=2e-2, progress=False, verbose=False)
    after = train.evaluate(m, U.reconstruction_loss, [x])["loss"]
    assert after < 0.5 * before


def test_nyquist_energy_sees_a_checkerboard():
    smooth = torch.linspace(0, 1, 8).view(1, 1, 1, 8).expand(1, 1, 8, 8)
    checker = (torch.arange(8).view(-1, 1) + torch.arange(8)).remainder(2).float().view(1, 1, 8, 8)
    e = U.nyquist_energy(torch.cat([smooth, checker]))
    assert e[1] > 0.99 and e[0] < 0.2


# --- the explorer in the page (headless Chromium, offline) --------------------------------------------------

@pytest.mark.browser
def test_explorer_draws_what_the_library_computes(browser, tmp_path):
    """The JavaScript scatter, for settings across the sliders, equals conv_transpose2d of the same input
    and kernel; refused settings show the library's message; stepping shows one copy at a time."""
    from offline_browser import open_offline

    from unsup.widgets import conv_transpose_explorer_html

    path = tmp_path / "explorer.html"
    path.write_text("<html><body>" + conv_transpose_explorer_html(element_id="ex") + "</body></html>")
    page, remote, errors, _ = open_offline(browser, path)
    page.wait_for_function("window.unsupConvT && window.unsupConvT.ex")
    for n, k, s, p, op in [(2, 3, 2, 1, 1), (2, 3, 2, 1, 0), (3, 4, 2, 1, 0), (4, 5, 3, 2, 2), (1, 1, 1, 0, 0),
                           (5, 2, 4, 0, 3), (3, 3, 1, 1, 0)]:
        for mode in ("count", "values"):
            state = page.evaluate(f"(window.unsupConvT.ex.set({{n:{n},k:{k},s:{s},p:{p},op:{op},mode:'{mode}'}}),"
                                  "window.unsupConvT.ex.state())")
            x = torch.ones(1, 1, n, n) if mode == "count" else torch.arange(1.0, n * n + 1).view(1, 1, n, n)
            ref = U.conv_transpose2d(x, torch.ones(1, 1, k, k), s, p, op)[0, 0]
            assert state["ok"] and state["out"] == ref.shape[-1] == U.conv_transpose_output_size(n, k, s, p, op)
            assert torch.tensor(state["o"], dtype=torch.float32).equal(ref), (n, k, s, p, op, mode)
    # one step: exactly one copy of the kernel on the canvas
    state = page.evaluate("(window.unsupConvT.ex.set({n:3,k:3,s:2,p:0,op:0,mode:'count',step:1}),"
                          "window.unsupConvT.ex.state())")
    assert sum(map(sum, state["full"])) == 9
    # settings PyTorch refuses: the message comes from the library
    state = page.evaluate("(window.unsupConvT.ex.set({n:1,k:1,s:1,p:2,op:0}), window.unsupConvT.ex.state())")
    assert not state["ok"] and "less padding" in state["out"]
    assert "refuses" in page.inner_text("#ex .formula")
    page.click("#ex .next")  # the buttons work
    assert not errors and not remote
