"""unsup.pca: fit_pca against an SVD of the centred data, the lecture's identities (orthonormal components in
decreasing variance, decorrelated codes with covariance Diag(lambda), reconstruction error = discarded
eigenvalues), encode/decode shapes and errors, and principal angles against closed forms."""

import math

import pytest
import torch

from unsup import pca


def data(n=200, d=6, seed=0):
    """Anisotropic Gaussian data with a non-zero mean and distinct variances."""
    g = torch.Generator().manual_seed(seed)
    scales = torch.linspace(3.0, 0.2, d, dtype=torch.float64)
    q, _ = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=torch.float64))
    return (torch.randn(n, d, generator=g, dtype=torch.float64) * scales) @ q.T + torch.arange(d) + 1.0


def test_shapes_and_fields():
    x = data()
    p = pca.fit_pca(x, 3)
    assert p.mean.shape == (6,) and p.components.shape == (3, 6) and p.V.shape == (6, 3)
    assert p.explained_variance.shape == (3,) and p.eigenvalues.shape == (6,) and p.k == 3
    assert p.encode(x).shape == (200, 3)
    assert p.decode(torch.zeros(4, 3)).shape == (4, 6)
    assert pca.fit_pca(x).k == 6  # default: every component


def test_against_svd_of_centred_data():
    """Eigenvalues of (1/n) X'^T X' are the squared singular values of X' / n; eigenvectors are the right
    singular vectors (up to sign)."""
    x = data()
    n = x.shape[0]
    p = pca.fit_pca(x, 4)
    xc = x - x.mean(0)
    _, s, vh = torch.linalg.svd(xc, full_matrices=False)
    torch.testing.assert_close(p.eigenvalues, s ** 2 / n)
    torch.testing.assert_close(p.explained_variance, s[:4] ** 2 / n)
    signs = torch.sign((p.components * vh[:4]).sum(1))
    torch.testing.assert_close(p.components, vh[:4] * signs[:, None])
    torch.testing.assert_close(p.mean, x.mean(0))


def test_components_orthonormal_and_decreasing():
    p = pca.fit_pca(data(), 5)
    torch.testing.assert_close(p.components @ p.components.T, torch.eye(5, dtype=torch.float64))
    assert (p.eigenvalues[:-1] >= p.eigenvalues[1:]).all()
    assert (p.explained_variance[:-1] > p.explained_variance[1:]).all()
    # each sign fixed: the entry of largest magnitude is positive
    idx = p.components.abs().argmax(1)
    assert (p.components.gather(1, idx[:, None]) > 0).all()


def test_decorrelation_and_reconstruction_error():
    """(1/n) sum phi(x_i) = 0, (1/n) sum phi phi^T = Diag(lambda_1..k), mean ||x - x_hat||^2 = sum_{i>k} lambda_i."""
    x = data()
    p = pca.fit_pca(x, 3)
    z = p.encode(x)
    torch.testing.assert_close(z.mean(0), torch.zeros(3, dtype=torch.float64), atol=1e-12, rtol=0)
    torch.testing.assert_close(z.T @ z / len(x), torch.diag(p.explained_variance))
    err = (x - p.reconstruct(x)).pow(2).sum(1).mean()
    torch.testing.assert_close(err, p.discarded_variance)
    torch.testing.assert_close(pca.fit_pca(x).reconstruct(x), x)  # k = d: exact


def test_projection_is_idempotent_and_best_among_subspaces():
    x = data()
    p = pca.fit_pca(x, 2)
    r = p.reconstruct(x)
    torch.testing.assert_close(p.reconstruct(r), r)
    # any other 2-D subspace through the mean reconstructs worse
    g = torch.Generator().manual_seed(3)
    q, _ = torch.linalg.qr(torch.randn(6, 2, generator=g, dtype=torch.float64))
    other = ((x - p.mean) @ q @ q.T + p.mean - x).pow(2).sum(1).mean()
    assert other > p.discarded_variance


def test_float32_input_computes_in_float64_by_default():
    x = data().float()
    p = pca.fit_pca(x, 2)
    assert p.mean.dtype == torch.float64
    assert pca.fit_pca(x, 2, dtype=torch.float32).mean.dtype == torch.float32


@pytest.mark.parametrize("bad, match", [
    (torch.zeros(5, 2, 2), r"\(N, d\) tensor.*flatten"),
    (torch.zeros(1, 3), "at least 2 rows"),
])
def test_fit_pca_rejects_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        pca.fit_pca(bad)


@pytest.mark.parametrize("k", [0, 7])
def test_fit_pca_rejects_bad_k(k):
    with pytest.raises(ValueError, match="k must be between 1 and d=6"):
        pca.fit_pca(data(), k)


def test_encode_decode_reject_wrong_widths():
    p = pca.fit_pca(data(), 3)
    with pytest.raises(ValueError, match=r"encode needs a \(N, 6\) tensor"):
        p.encode(torch.zeros(4, 5))
    with pytest.raises(ValueError, match=r"decode needs a \(N, 3\) tensor"):
        p.decode(torch.zeros(4, 6))


def test_principal_angles_closed_form():
    # span(e1) against span(cos t e1 + sin t e2): one angle, t
    t = 0.3
    a = torch.tensor([[1.0], [0.0], [0.0]])
    b = torch.tensor([[math.cos(t)], [math.sin(t)], [0.0]])
    torch.testing.assert_close(pca.principal_angles(a, b), torch.tensor([t], dtype=torch.float64))
    # a plane against itself under any invertible change of basis: all zero
    p = torch.randn(10, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    mix = torch.tensor([[2.0, 1.0, 0.0], [0.0, 1.0, 3.0], [1.0, 0.0, 1.0]], dtype=torch.float64)
    assert pca.principal_angles(p, p @ mix).max() < 1e-6
    # orthogonal subspaces: all pi/2
    e = torch.eye(4, dtype=torch.float64)
    torch.testing.assert_close(pca.principal_angles(e[:, :2], e[:, 2:]), torch.full((2,), math.pi / 2,
                                                                                     dtype=torch.float64))


def test_principal_angles_increasing_and_errors():
    g = torch.Generator().manual_seed(1)
    ang = pca.principal_angles(torch.randn(8, 3, generator=g), torch.randn(8, 3, generator=g))
    assert ang.shape == (3,) and (ang[1:] >= ang[:-1]).all() and (ang >= 0).all() and (ang <= math.pi / 2).all()
    with pytest.raises(ValueError, match="principal_angles needs"):
        pca.principal_angles(torch.zeros(8, 3), torch.zeros(7, 3))
    with pytest.raises(ValueError, match="zero or not finite"):
        pca.principal_angles(torch.zeros(8, 2), torch.randn(8, 2))
    with pytest.raises(ValueError, match="zero or not finite"):
        pca.principal_angles(torch.full((8, 2), float("nan")), torch.randn(8, 2))
