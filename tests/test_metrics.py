"""unsup.metrics: every measure against an oracle: brute-force loops over pairs or pixels, scipy, closed forms;
and the re-exports the chapters use (unsup.gan, unsup.autoencoders)."""

import math

import numpy as np
import pytest
import torch

import unsup
from unsup import autoencoders, gan, metrics, pca
from unsup.data import ring_centers
from unsup.layers import apply_in_batches


def test_reexports_are_the_same_objects():
    for name in ("mixture_metrics", "FashionClassifier", "classifier_loss", "classifier_frechet_distance",
                 "feature_statistics", "frechet_distance", "nearest_neighbours", "nn_distance"):
        assert getattr(gan, name) is getattr(metrics, name)
    assert gan.batched is apply_in_batches
    assert autoencoders.roc_auc is metrics.roc_auc and autoencoders.fraction_in_holes is metrics.fraction_in_holes


# --- codes and reconstructions ----------------------------------------------------------------------------------

def test_mean_reconstruction_error_against_a_loop():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(7, 1, 4, 4, generator=g)
    p = pca.fit_pca(x.flatten(1), 2)
    # PCA returns flat rows: the metric reshapes them to the images' shape
    err = metrics.mean_reconstruction_error(lambda b: p.reconstruct(b.flatten(1)), x, batch_size=3)
    x_hat = p.reconstruct(x.flatten(1)).float()
    brute = sum(sum((float(a) - float(b)) ** 2 for a, b in zip(x[i].flatten(), x_hat[i])) for i in range(7)) / 7
    assert err == pytest.approx(brute, rel=1e-5)
    assert metrics.mean_reconstruction_error(lambda b: b, x) == 0.0


def brute_knn_accuracy(codes, labels, k):
    correct = 0
    for i in range(len(codes)):
        dists = sorted((math.dist(codes[i].tolist(), codes[j].tolist()), j) for j in range(len(codes)) if j != i)
        votes = [int(labels[j]) for _, j in dists[:k]]
        correct += max(set(votes), key=votes.count) == int(labels[i])
    return correct / len(codes)


def test_knn_accuracy_against_brute_force():
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 2, (60,), generator=g)
    codes = torch.randn(60, 2, generator=g, dtype=torch.float64) + 1.5 * labels[:, None]
    for k in (1, 3, 5):  # two classes and odd k: no ties to break
        assert metrics.knn_accuracy(codes, labels, k=k, chunk=7) == pytest.approx(brute_knn_accuracy(codes, labels, k))
    far = torch.cat([torch.zeros(10, 2), torch.full((10, 2), 100.0)]) + torch.rand(20, 2, generator=g)
    assert metrics.knn_accuracy(far, torch.arange(20) // 10, k=3) == 1.0
    with pytest.raises(ValueError, match="labels"):
        metrics.knn_accuracy(codes, labels[:5])
    with pytest.raises(ValueError, match="k must be"):
        metrics.knn_accuracy(codes, labels, k=60)


def brute_fraction_in_holes(codes, samples, radius, min_neighbours, n_held_out):
    c, s = codes.numpy(), samples.numpy()
    mean = c.mean(0)
    cov = (c - mean).T @ (c - mean) / len(c)
    L_inv = np.linalg.inv(np.linalg.cholesky(cov))
    u, v = (c - mean) @ L_inv.T, (s - mean) @ L_inv.T
    held, rest = u[:n_held_out], u[n_held_out:]

    def share(points):
        return np.mean([sum(np.linalg.norm(pt - r) < radius for r in rest) < min_neighbours for pt in points])

    return share(v), share(held)


def test_mixture_metrics_on_constructed_samples():
    centers, std = ring_centers(8), 0.02
    g = torch.Generator().manual_seed(0)
    perfect = centers.repeat_interleave(100, 0) + 0.5 * std * torch.randn(800, 2, generator=g)
    m = metrics.mixture_metrics(perfect, centers, std)
    assert m == {"modes": 8, "high_quality": 1.0, "reverse_kl": pytest.approx(0.0, abs=1e-12)}
    one = centers[:1].repeat(500, 1)
    m = metrics.mixture_metrics(one, centers, std)
    assert m["modes"] == 1 and m["reverse_kl"] == pytest.approx(math.log(8))
    # three modes with 40 good samples each, one with 10 (below min_count = 20), plus 200 points off every mode
    good = torch.cat([centers[i:i + 1].repeat(n, 1) for i, n in [(0, 40), (1, 40), (2, 40), (3, 10)]])
    off = torch.zeros(200, 2)  # the centre of the ring, 2 away from every mode
    m = metrics.mixture_metrics(torch.cat([good, off]), centers, std)
    assert m["modes"] == 3
    assert m["high_quality"] == pytest.approx(130 / 330)
    with pytest.raises(ValueError, match="agree in d"):
        metrics.mixture_metrics(torch.zeros(3, 3), centers, std)


def test_frechet_distance_against_closed_forms():
    from scipy.linalg import sqrtm

    # 1-D: (m1 - m2)^2 + (s1 - s2)^2
    assert metrics.frechet_distance([1.0], [[4.0]], [3.0], [[9.0]]) == pytest.approx(4 + 1)
    # diagonal covariances: sum of the 1-D ones
    s1, s2 = torch.tensor([1.0, 4.0, 0.25]), torch.tensor([9.0, 1.0, 1.0])
    mu1, mu2 = torch.tensor([0.0, 1.0, 2.0]), torch.tensor([1.0, 1.0, 0.0])
    expected = ((mu1 - mu2) ** 2).sum() + ((s1.sqrt() - s2.sqrt()) ** 2).sum()
    assert metrics.frechet_distance(mu1, s1.diag(), mu2, s2.diag()) == pytest.approx(expected.item())
    # full covariances: against scipy's sqrtm of sigma1 sigma2
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(5, 5, generator=g, dtype=torch.float64), torch.randn(5, 5, generator=g, dtype=torch.float64)
    c1, c2 = a @ a.T + 0.1 * torch.eye(5), b @ b.T + 0.1 * torch.eye(5)
    m1, m2 = torch.randn(5, generator=g, dtype=torch.float64), torch.randn(5, generator=g, dtype=torch.float64)
    ref = ((m1 - m2) ** 2).sum().item() + np.trace(c1.numpy() + c2.numpy() - 2 * sqrtm(c1.numpy() @ c2.numpy()).real)
    assert metrics.frechet_distance(m1, c1, m2, c2) == pytest.approx(ref, rel=1e-8)
    assert metrics.frechet_distance(m1, c1, m1, c1) == pytest.approx(0.0, abs=1e-8)


def test_classifier_frechet_distance():
    unsup.seed_everything(0)
    clf = metrics.FashionClassifier()
    assert clf(torch.rand(3, 1, 28, 28)).shape == (3, 10)
    assert clf.features(torch.rand(3, 1, 28, 28)).shape == (3, 64)
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(300, 1, 28, 28, generator=g), torch.rand(300, 1, 28, 28, generator=g) * 0.5
    assert metrics.classifier_frechet_distance(clf, x, x) == pytest.approx(0.0, abs=1e-6)
    stats = metrics.feature_statistics(apply_in_batches(clf.features, y))
    d = metrics.classifier_frechet_distance(clf, x, y)
    assert d > 0 and metrics.classifier_frechet_distance(clf, x, stats2=stats) == pytest.approx(d)
    with pytest.raises(ValueError, match="exactly one"):
        metrics.classifier_frechet_distance(clf, x)


def test_fraction_in_holes():
    g = torch.Generator().manual_seed(0)
    # codes on two far-apart clusters: a Gaussian fitted to them puts many draws in the gap between them
    codes = torch.cat([torch.randn(3000, 2, generator=g) * 0.1 - 3, torch.randn(3000, 2, generator=g) * 0.1 + 3])
    codes = codes[torch.randperm(6000, generator=g)]
    mean, cov = autoencoders.fit_gaussian_to_codes(codes)
    holes, base = metrics.fraction_in_holes(codes, autoencoders.sample_codes(mean, cov, 2000, generator=g))
    assert holes > 0.5 and base < 0.05
    # draws from the codes' own distribution: few holes
    same = torch.randn(1000, 2, generator=g) * 0.1 + 3
    assert metrics.fraction_in_holes(codes, same)[0] < 0.05
    with pytest.raises(ValueError, match="smaller n_held_out"):
        metrics.fraction_in_holes(codes[:100], same)


def test_roc_auc_against_brute_force():
    g = torch.Generator().manual_seed(0)
    scores = torch.randint(0, 5, (60,), generator=g).float()   # many ties
    pos = torch.rand(60, generator=g) < 0.3
    sp, sn = scores[pos], scores[~pos]
    brute = ((sp[:, None] > sn[None]).float() + 0.5 * (sp[:, None] == sn[None]).float()).mean()
    assert metrics.roc_auc(scores, pos) == pytest.approx(float(brute))
    assert metrics.roc_auc(torch.arange(4.0), torch.tensor([False, False, True, True])) == 1.0
    with pytest.raises(ValueError, match="at least one positive"):
        metrics.roc_auc(torch.arange(3.0), torch.zeros(3, dtype=torch.bool))


def test_fraction_in_holes_against_brute_force():
    g = torch.Generator().manual_seed(1)
    codes = torch.randn(300, 2, generator=g, dtype=torch.float64) @ torch.tensor([[1.0, 0.5], [0.0, 2.0]],
                                                                                  dtype=torch.float64)
    samples = 3 * torch.randn(40, 2, generator=g, dtype=torch.float64)
    got = metrics.fraction_in_holes(codes, samples, radius=0.4, min_neighbours=5, n_held_out=50)
    assert got == pytest.approx(brute_fraction_in_holes(codes, samples, 0.4, 5, 50))


# --- images -------------------------------------------------------------------------------------------------

def test_gradient_energy_against_a_pixel_loop():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(3, 1, 5, 4, generator=g)
    brute = 0.0
    for n in range(3):
        img = x[n, 0].tolist()
        for i in range(5):
            for j in range(4):
                if i + 1 < 5:
                    brute += (img[i + 1][j] - img[i][j]) ** 2
                if j + 1 < 4:
                    brute += (img[i][j + 1] - img[i][j]) ** 2
    assert metrics.gradient_energy(x) == pytest.approx(brute / 3, rel=1e-5)
    assert metrics.gradient_energy(torch.full((2, 1, 6, 6), 0.3)) == 0.0
    with pytest.raises(ValueError, match="batch of images"):
        metrics.gradient_energy(torch.rand(5, 5))


def test_checkerboard_phases_and_spread():
    # a constant response plus a pattern of period 2 with value c at the block position (1, 0)
    r = torch.full((28, 28), 2.0)
    r[1::2, 0::2] += 0.5
    phases = metrics.checkerboard_phases(r)
    torch.testing.assert_close(phases, torch.tensor([2.0, 2.0, 2.5, 2.0]))
    inner = r[4:-4, 4:-4]
    assert metrics.checkerboard_spread(r) == pytest.approx(0.5 / inner.abs().mean().item())
    assert metrics.checkerboard_spread(torch.full((28, 28), -3.0)) == 0.0  # level alone is no pattern
    # the same layer as chapter 2: nearest unpooling then a convolution has no pattern, a stride-2 transposed
    # convolution with a 3x3 kernel does (its kernel copies overlap unevenly)
    from unsup.upsample import upsample_block

    torch.manual_seed(0)
    ones = torch.ones(1, 4, 14, 14)
    with torch.no_grad():
        nearest = upsample_block(4, 1, "nearest")(ones)[0, 0]
        transposed = upsample_block(4, 1, "transposed")(ones)[0, 0]
    assert metrics.checkerboard_spread(nearest) < 1e-5 < 1e-3 < metrics.checkerboard_spread(transposed)
    with pytest.raises(ValueError, match="border"):
        metrics.checkerboard_phases(torch.ones(8, 8))


def test_nearest_neighbours_and_nn_distance_against_brute_force():
    g = torch.Generator().manual_seed(0)
    bank = torch.randn(50, 1, 4, 4, generator=g)
    queries = torch.randn(9, 1, 4, 4, generator=g)
    idx = metrics.nearest_neighbours(bank[[7, 3]] + 1e-3, bank, k=2)
    assert idx.shape == (2, 2) and idx[:, 0].tolist() == [7, 3]
    dist = metrics.nn_distance(queries, bank, batch_size=4)
    for i in range(9):
        brute = min(math.dist(queries[i].flatten().tolist(), b.flatten().tolist()) for b in bank)
        assert dist[i].item() == pytest.approx(brute, rel=1e-5)
    assert metrics.nn_distance(bank[:5], bank).abs().max().item() == 0.0  # a memorised sample is at distance 0


def test_class_coverage_on_constructed_labels():
    even = torch.arange(1000) % 10
    cov = metrics.class_coverage(even)
    assert cov["covered"] == 10 and abs(cov["kl_uniform"]) < 1e-12
    torch.testing.assert_close(cov["shares"], torch.full((10,), 0.1, dtype=torch.float64))
    one = torch.full((50,), 3)
    cov = metrics.class_coverage(one)
    assert cov["covered"] == 1 and math.isclose(cov["kl_uniform"], math.log(10), rel_tol=1e-12)
    # 4 % of class 0 is below the 5 % threshold; 6 % of class 1 is above
    labels = torch.cat([torch.zeros(4), torch.ones(6), torch.full((90,), 2)]).long()
    cov = metrics.class_coverage(labels, n_classes=3)
    assert cov["covered"] == 2
    # KL(q || u) = sum q log(q / u), by hand
    q = np.array([0.04, 0.06, 0.90])
    assert math.isclose(cov["kl_uniform"], float((q * np.log(q * 3)).sum()), rel_tol=1e-9)
    with pytest.raises(ValueError):
        metrics.class_coverage(torch.tensor([0, 11]))
    with pytest.raises(ValueError):
        metrics.class_coverage(torch.zeros(2, 2).long())
