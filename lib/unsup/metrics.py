"""Measures of what a trained model learned and of how good its samples are, each with a tested oracle.

- Codes and reconstructions: ``mean_reconstruction_error`` (the test error of an autoencoder or PCA),
  ``knn_accuracy`` (how well classes separate in a code space), ``fraction_in_holes`` (how many sampled
  codes land where no real code is), ``roc_auc`` (for reconstruction-error anomaly scores).
- Images: ``gradient_energy`` (sharpness: summed squared differences of neighbouring pixels),
  ``checkerboard_phases`` and ``checkerboard_spread`` (the 2x2 pattern of an upsampling layer's response).
- Samples of a 2-D mixture: ``mixture_metrics`` (modes captured, high-quality share, reverse KL; PacGAN).
- Samples of images: ``FashionClassifier`` and ``classifier_frechet_distance`` (a Frechet distance in the
  features of a small Fashion-MNIST classifier: NOT comparable with Inception-based FID numbers),
  ``frechet_distance``, ``feature_statistics``, ``nearest_neighbours`` and ``nn_distance`` (memorisation),
  ``class_coverage`` (the classes a classifier sees in a set of samples).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .divergences import kl_divergence
from .layers import apply_in_batches

# --- codes and reconstructions ------------------------------------------------------------------------------


def mean_reconstruction_error(reconstruct: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, *,
                              batch_size: int = 2048) -> float:
    """Mean over the images ``x`` of ``||x - x_hat||^2`` (summed over pixels), ``x_hat = reconstruct(x)``
    computed in batches without gradients. ``reconstruct`` may return flat rows (PCA): they are reshaped
    to ``x``'s shape; its output is compared in float32."""
    from .autoencoders import reconstruction_error  # here: autoencoders imports this module

    # (1/N) sum_i ||x_i - x_hat_i||^2
    return float(apply_in_batches(
        lambda b: reconstruction_error(reconstruct(b).view_as(b).float(), b), x, batch_size).mean())


def knn_accuracy(codes: torch.Tensor, labels: torch.Tensor, k: int = 5, chunk: int = 2000) -> float:
    """Leave-one-out ``k``-nearest-neighbour accuracy of ``labels`` predicted from ``codes`` ``(N, d)``: each
    point takes the most common label among its ``k`` nearest OTHER points (Euclidean; ``torch.mode`` breaks
    ties). How well the classes separate in a code space."""
    if codes.dim() != 2 or labels.shape != (codes.shape[0],):
        raise ValueError(f"knn_accuracy needs codes (N, d) and labels (N,); got {tuple(codes.shape)} and "
                         f"{tuple(labels.shape)}")
    if not 1 <= k < len(codes):
        raise ValueError(f"k must be between 1 and N - 1 = {len(codes) - 1}; got {k}")
    correct = 0
    for i in range(0, len(codes), chunk):
        d = torch.cdist(codes[i:i + chunk], codes)  # (chunk, N)
        d[torch.arange(d.shape[0]), torch.arange(i, i + d.shape[0])] = float("inf")  # leave the point itself out
        votes = labels[d.topk(k, largest=False).indices]  # (chunk, k)
        correct += int((votes.mode(dim=1).values == labels[i:i + chunk]).sum())
    return correct / len(codes)


def roc_auc(scores: torch.Tensor, positive: torch.Tensor) -> float:
    """Area under the ROC curve of ``scores`` for detecting ``positive`` (bool): the probability that a random
    positive scores higher than a random negative (ties count one half)."""
    scores, positive = scores.detach().flatten().double().cpu(), positive.detach().flatten().bool().cpu()
    if scores.shape != positive.shape:
        raise ValueError(f"scores and positive need the same length; got {scores.numel()} and {positive.numel()}")
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("roc_auc needs at least one positive and one negative example")
    # Mann-Whitney: AUC = (sum of the positives' ranks - n_pos (n_pos + 1) / 2) / (n_pos n_neg), mid-ranks for ties
    order = scores.argsort()
    sorted_scores = scores[order]
    ranks = torch.empty_like(scores)
    ranks[order] = torch.arange(1, len(scores) + 1, dtype=scores.dtype)
    uniq, inverse, counts = torch.unique_consecutive(sorted_scores, return_inverse=True, return_counts=True)
    if len(uniq) < len(scores):  # average the ranks within each group of ties
        ends = counts.cumsum(0).double()
        mid = ends - (counts.double() - 1) / 2
        ranks[order] = mid[inverse]
    u = ranks[positive].sum() - n_pos * (n_pos + 1) / 2
    return float(u / (n_pos * n_neg))


def fraction_in_holes(codes: torch.Tensor, samples: torch.Tensor, *, radius: float = 0.3, min_neighbours: int = 10,
                      n_held_out: int = 2000) -> tuple[float, float]:
    """How many ``samples`` land in a hole of the code space, and, as a baseline, how many real codes do.

    Everything is first whitened by the Gaussian fitted to ``codes`` (``u = L^{-1}(z - m)``, ``L L^T = S``), so
    the radius is in units of the codes' spread. The first ``n_held_out`` codes are held out; a point is *in a
    hole* when fewer than ``min_neighbours`` of the remaining codes lie within ``radius`` of it. Returns
    ``(fraction of samples in holes, fraction of held-out real codes in holes)``; shuffle ``codes`` first if
    their order is not random.
    """
    codes, samples = codes.detach().double().cpu(), samples.detach().double().cpu()
    if codes.dim() != 2 or samples.dim() != 2 or codes.shape[1] != samples.shape[1]:
        raise ValueError(f"fraction_in_holes needs codes (N, k) and samples (M, k); got {tuple(codes.shape)} and "
                         f"{tuple(samples.shape)}")
    if codes.shape[0] <= n_held_out + min_neighbours:
        raise ValueError(f"need more than n_held_out + min_neighbours = {n_held_out + min_neighbours} codes; got "
                         f"{codes.shape[0]}. Pass a smaller n_held_out.")
    from .autoencoders import fit_gaussian_to_codes  # here: autoencoders imports this module

    mean, cov = fit_gaussian_to_codes(codes)
    white = torch.linalg.inv(torch.linalg.cholesky(cov))
    # u = L^{-1} (z - m), for rows: (N, k) @ (k, k)^T -> (N, k)
    u_codes, u_samples = (codes - mean) @ white.T, (samples - mean) @ white.T
    held_out, rest = u_codes[:n_held_out], u_codes[n_held_out:]

    def in_hole(u: torch.Tensor) -> float:
        return ((torch.cdist(u, rest) < radius).sum(dim=1) < min_neighbours).double().mean().item()

    return in_hole(u_samples), in_hole(held_out)


# --- images ---------------------------------------------------------------------------------------------------


def gradient_energy(images: torch.Tensor) -> float:
    """Sharpness of images ``(N, ..., H, W)``: the mean over images of
    ``sum_ij (x[i+1, j] - x[i, j])^2 + (x[i, j+1] - x[i, j])^2``. Blur lowers it; pixel noise raises it."""
    if images.dim() < 3:
        raise ValueError(f"gradient_energy needs a batch of images (N, ..., H, W); got {tuple(images.shape)}")
    images = images.float()
    dy = images[..., 1:, :] - images[..., :-1, :]  # (N, ..., H-1, W): vertical neighbours
    dx = images[..., :, 1:] - images[..., :, :-1]  # (N, ..., H, W-1): horizontal neighbours
    return (dy.pow(2).flatten(1).sum(1) + dx.pow(2).flatten(1).sum(1)).mean().item()


def checkerboard_phases(response: torch.Tensor, border: int = 4) -> torch.Tensor:
    """The mean of ``response`` ``(H, W)`` at each of the 4 positions of a 2x2 block, ``(4,)`` in the order
    (0, 0), (0, 1), (1, 0), (1, 1), over the crop ``border`` pixels away from each edge. Equal means: no
    2-pixel checkerboard; unequal: the pattern an upsampling layer prints on a constant input."""
    if response.dim() != 2 or min(response.shape) <= 2 * border + 1:
        raise ValueError(f"checkerboard_phases needs a 2-D response larger than 2 * border + 1 = {2 * border + 1} "
                         f"on each side; got {tuple(response.shape)}")
    inner = response[border:response.shape[0] - border, border:response.shape[1] - border]
    return torch.stack([inner[i::2, j::2].mean() for i in range(2) for j in range(2)])


def checkerboard_spread(response: torch.Tensor, border: int = 4) -> float:
    """``(max - min)`` of ``checkerboard_phases`` over the mean absolute value of the crop: 0 for a response
    without a 2-pixel pattern, whatever its level."""
    inner = response[border:response.shape[0] - border, border:response.shape[1] - border]
    phases = checkerboard_phases(response, border)
    return (phases.max() - phases.min()).item() / inner.abs().mean().item()


# --- 2-D mixtures: mode collapse ------------------------------------------------------------------------------


def mixture_metrics(samples: torch.Tensor, centers: torch.Tensor, std: float, *, min_count: int = 20,
                    radius_in_std: float = 3.0) -> dict[str, float]:
    """Mode-collapse metrics for samples of a mixture of isotropic Gaussians (PacGAN, VEEGAN):

    - ``high_quality``: share of samples within ``radius_in_std`` standard deviations of their nearest centre;
    - ``modes``: number of centres with at least ``min_count`` high-quality samples (PacGAN: 20 of 2,500);
    - ``reverse_kl``: ``KL(q || p)`` in nats, ``q`` the share of ALL samples whose nearest centre is each
      mode and ``p`` the true (uniform) weights; 0 for a perfect spread, ``log k`` for a single mode.
    """
    if samples.dim() != 2 or centers.dim() != 2 or samples.shape[1] != centers.shape[1]:
        raise ValueError(f"samples (N, d) and centers (K, d) must agree in d; got {tuple(samples.shape)} "
                         f"and {tuple(centers.shape)}")
    samples = samples.detach().double().cpu()
    centers = centers.detach().double().cpu()
    dist = torch.cdist(samples, centers)  # (N, K)
    nearest_dist, nearest = dist.min(dim=1)
    good = nearest_dist <= radius_in_std * std
    counts_good = torch.bincount(nearest[good], minlength=len(centers))
    q = torch.bincount(nearest, minlength=len(centers)).double() / len(samples)
    p = torch.full_like(q, 1 / len(centers))
    return {"modes": int((counts_good >= min_count).sum()),
            "high_quality": float(good.double().mean()),
            "reverse_kl": float(kl_divergence(q, p))}



def class_coverage(predicted: torch.Tensor, n_classes: int = 10, *, min_share: float = 0.05) -> dict:
    """How a set of samples spreads over classes, from a classifier's predicted labels ``(N,)``:

    - ``shares``: ``(n_classes,)`` float64, the share of the samples predicted as each class;
    - ``covered``: the number of classes with a share of at least ``min_share``;
    - ``kl_uniform``: ``KL(shares || uniform)`` in nats, 0 for a perfectly even spread, ``log n_classes``
      when every sample is one class.
    """
    if predicted.dim() != 1 or len(predicted) == 0:
        raise ValueError(f"predicted must be a non-empty vector of labels (N,); got {tuple(predicted.shape)}")
    counts = torch.bincount(predicted.detach().cpu().long(), minlength=n_classes)
    if len(counts) != n_classes:
        raise ValueError(f"labels must lie in 0..{n_classes - 1}; got {int(predicted.max())}")
    shares = counts.double() / len(predicted)
    uniform = torch.full_like(shares, 1 / n_classes)
    return {"shares": shares, "covered": int((shares >= min_share).sum()),
            "kl_uniform": float(kl_divergence(shares, uniform))}


# --- images: a classifier's features, Frechet distance, nearest neighbours -----------------------------


class FashionClassifier(nn.Module):
    """A small CNN for Fashion-MNIST whose penultimate layer (``features``, 64 units) serves as the feature
    space of ``classifier_frechet_distance``. ``forward`` returns class logits ``(N, 10)``."""

    def __init__(self, feature_dim: int = 64):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 1, 28, 28) -> (N, 16, 14, 14)
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # -> (N, 32, 7, 7)
            nn.Flatten(),  # (N, 32, 7, 7) -> (N, 32*7*7)
            nn.Linear(32 * 7 * 7, feature_dim), nn.ReLU(),
        )
        self.head = nn.Linear(feature_dim, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1:] != (1, 28, 28):
            raise ValueError(f"the classifier expects (N, 1, 28, 28) images; got {tuple(x.shape)}")
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def classifier_loss(model: FashionClassifier, batch) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Cross-entropy in nats, mean over the minibatch, and the accuracy, for ``unsup.train.fit``."""
    x, y = batch
    logits = model(x)
    return F.cross_entropy(logits, y), {"accuracy": (logits.argmax(1) == y).float().mean()}


def feature_statistics(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean ``(d,)`` and covariance ``(d, d)`` (unbiased) of ``(N, d)`` features, in float64."""
    if features.dim() != 2 or features.shape[0] < 2:
        raise ValueError(f"need (N, d) features with N >= 2; got {tuple(features.shape)}")
    f = features.detach().double()
    mu = f.mean(0)
    centred = f - mu  # (N, d) - (d,) broadcast over rows
    return mu, centred.T @ centred / (f.shape[0] - 1)


def _sqrtm_psd(a: torch.Tensor) -> torch.Tensor:
    w, v = torch.linalg.eigh((a + a.T) / 2)
    return (v * w.clamp(min=0).sqrt()) @ v.T  # V diag(sqrt w) V^T


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Squared Frechet (2-Wasserstein) distance between ``N(mu1, sigma1)`` and ``N(mu2, sigma2)``:

    ``|mu1 - mu2|^2 + tr(sigma1 + sigma2 - 2 (sigma1^1/2 sigma2 sigma1^1/2)^1/2)``.
    (``tr (sigma1 sigma2)^1/2`` equals the trace of the symmetric form used here, which is stable.)
    """
    mu1, sigma1, mu2, sigma2 = (torch.as_tensor(t).double() for t in (mu1, sigma1, mu2, sigma2))
    s1 = _sqrtm_psd(sigma1)
    # tr (sigma1^1/2 sigma2 sigma1^1/2)^1/2
    cross = _sqrtm_psd(s1 @ sigma2 @ s1).trace()
    return float(((mu1 - mu2) ** 2).sum() + sigma1.trace() + sigma2.trace() - 2 * cross)


def classifier_frechet_distance(classifier: FashionClassifier, x1: torch.Tensor, x2: torch.Tensor | None = None,
                                *, stats2: tuple[torch.Tensor, torch.Tensor] | None = None,
                                batch_size: int = 1000) -> float:
    """The Frechet distance between two image sets in the 64-D features of the book's small Fashion-MNIST
    classifier. Same formula as FID, different (and much smaller) network: its numbers are NOT comparable
    with Inception-based FID values from papers, only with each other. Pass ``x2`` or precomputed ``stats2``."""
    if (x2 is None) == (stats2 is None):
        raise ValueError("pass exactly one of x2 (images) or stats2 (mean, covariance of their features)")
    was_training = classifier.training
    classifier.eval()
    mu1, s1 = feature_statistics(apply_in_batches(classifier.features, x1, batch_size))
    if stats2 is None:
        stats2 = feature_statistics(apply_in_batches(classifier.features, x2, batch_size))
    classifier.train(was_training)
    return frechet_distance(mu1, s1, *stats2)


def nearest_neighbours(queries: torch.Tensor, bank: torch.Tensor, k: int = 1, batch_size: int = 256) -> torch.Tensor:
    """Indices ``(Q, k)`` of the ``k`` rows of ``bank`` closest (Euclidean) to each query; inputs of any shape
    ``(N, ...)`` are flattened to ``(N, D)``."""
    q = queries.reshape(len(queries), -1)  # (Q, ...) -> (Q, D)
    b = bank.reshape(len(bank), -1)  # (N, ...) -> (N, D)
    if q.shape[1] != b.shape[1]:
        raise ValueError(f"queries and bank have different sizes per item: {q.shape[1]} vs {b.shape[1]}")
    return torch.cat([torch.cdist(chunk, b).topk(k, largest=False).indices for chunk in q.split(batch_size)])



def nn_distance(queries: torch.Tensor, bank: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """Euclidean distance ``(Q,)`` from each query to its nearest row of ``bank`` (inputs flattened to rows)."""
    idx = nearest_neighbours(queries, bank, batch_size=batch_size)[:, 0]
    # ||q_i - b_nn(i)||
    return (queries.flatten(1) - bank[idx].flatten(1)).norm(dim=1)
