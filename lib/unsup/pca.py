"""Principal component analysis from the lecture's pseudocode, and the tools to compare it with networks.

The pseudocode: centre the data (``x' = x - mu``), form the covariance ``(1/n) sum_i x'_i x'_i^T`` (note the
``1/n``, not ``1/(n-1)``), take its top-k eigenvectors ``V = [v_1, ..., v_k]``; the feature map (code) is
``phi(x) = V^T (x - mu)`` and the reconstruction ``mu + V phi(x)``.

``fit_pca(x, k)`` returns a :class:`PCA` with ``mean (d,)``, ``components (k, d)`` (the ``v_i`` as
orthonormal rows, largest variance first), ``explained_variance (k,)`` (the ``lambda_i``) and the whole
spectrum ``eigenvalues (d,)``, so that the discarded variance ``sum_{i>k} lambda_i`` is at hand.
``principal_angles(A, B)`` measures how far apart two subspaces are (used to show that a linear
autoencoder finds the PCA subspace without finding the eigenvectors).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class PCA:
    """A fitted PCA. Tensors live on the device (and in the dtype) of the data it was fitted to."""

    mean: torch.Tensor                # (d,)     mu
    components: torch.Tensor          # (k, d)   rows v_1 ... v_k, orthonormal, decreasing variance
    explained_variance: torch.Tensor  # (k,)     lambda_1 >= ... >= lambda_k
    eigenvalues: torch.Tensor         # (d,)     every eigenvalue of the covariance, decreasing

    @property
    def k(self) -> int:
        return self.components.shape[0]

    @property
    def V(self) -> torch.Tensor:
        """The lecture's ``V = [v_1, ..., v_k]``: the components as columns, ``(d, k)``."""
        return self.components.T

    def _check(self, x: torch.Tensor, what: str, width: int) -> torch.Tensor:
        if x.dim() != 2 or x.shape[1] != width:
            raise ValueError(f"PCA.{what} needs a (N, {width}) tensor; got shape {tuple(x.shape)}. "
                             "Flatten images first: x.flatten(1).")
        return x.to(self.mean.dtype)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The feature map ``phi(x) = V^T (x - mu)``: ``(N, d) -> (N, k)``."""
        x = self._check(x, "encode", self.mean.shape[0])
        # phi(x) = V^T (x - mu), written for a batch of rows: (N, d) @ (d, k) -> (N, k)
        return (x - self.mean) @ self.components.T

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """The reconstruction ``mu + V z``: ``(N, k) -> (N, d)``."""
        z = self._check(z, "decode", self.k)
        # x_hat = mu + V z, for a batch of rows: (N, k) @ (k, d) -> (N, d)
        return z @ self.components + self.mean

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """``decode(encode(x))``: the orthogonal projection of ``x`` onto the affine PCA subspace."""
        return self.decode(self.encode(x))

    @property
    def discarded_variance(self) -> torch.Tensor:
        """``sum_{i>k} lambda_i``: the mean squared reconstruction error (summed over coordinates)."""
        return self.eigenvalues[self.k:].sum()


def fit_pca(x: torch.Tensor, k: int | None = None, *, dtype: torch.dtype = torch.float64) -> PCA:
    """PCA of the rows of ``x`` ``(N, d)``, following the lecture's pseudocode.

    ``k`` (default: all ``d``) is the number of components kept. The covariance and its eigen-decomposition
    are computed in ``dtype`` (float64 by default: the book asserts identities to many digits); pass
    ``torch.float32`` for speed on a GPU. Each eigenvector's sign is fixed so that its entry of largest
    magnitude is positive (eigenvectors are defined only up to sign), which makes results reproducible.
    """
    if not isinstance(x, torch.Tensor) or x.dim() != 2:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"fit_pca needs a (N, d) tensor; got {shape}. Flatten images first: x.flatten(1).")
    n, d = x.shape
    if n < 2:
        raise ValueError(f"fit_pca needs at least 2 rows to estimate a covariance; got {n}.")
    k = d if k is None else int(k)
    if not 1 <= k <= d:
        raise ValueError(f"k must be between 1 and d={d}; got {k}.")
    x = x.to(dtype)
    # mu = (1/n) sum_i x_i
    mu = x.mean(dim=0)
    # x'_i = x_i - mu
    xc = x - mu
    # C = (1/n) sum_i x'_i x'_i^T = (1/n) X'^T X'                          (d, d)
    cov = xc.T @ xc / n
    # eigh returns ascending eigenvalues with eigenvectors as columns; flip to decreasing order
    evals, evecs = torch.linalg.eigh(cov)
    evals, evecs = evals.flip(0), evecs.flip(1)
    evals = evals.clamp_min(0)  # tiny negative values from round-off on a rank-deficient covariance
    # (d, d) columns -> (d, d) rows: components[i] = v_{i+1}
    comps = evecs.T
    # fix each sign: the entry of largest magnitude is positive
    idx = comps.abs().argmax(dim=1)
    signs = torch.sign(comps.gather(1, idx[:, None]))
    signs[signs == 0] = 1
    comps = comps * signs
    return PCA(mean=mu, components=comps[:k].contiguous(), explained_variance=evals[:k].clone(),
               eigenvalues=evals)


def orthonormal_basis(a: torch.Tensor) -> torch.Tensor:
    """An orthonormal basis ``(d, r)`` of the column space of ``a`` ``(d, k)`` (``r = rank``)."""
    if a.dim() != 2:
        raise ValueError(f"orthonormal_basis needs a (d, k) matrix; got shape {tuple(a.shape)}")
    if not torch.isfinite(a).all() or not a.any():
        raise ValueError("orthonormal_basis: the matrix is zero or not finite, so it spans no subspace "
                         "(did training diverge? try a smaller learning rate)")
    u, s, _ = torch.linalg.svd(a, full_matrices=False)
    rank = int((s > s.max() * max(a.shape) * torch.finfo(s.dtype).eps).sum())
    return u[:, :rank]


def principal_angles(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Principal angles (radians, increasing) between the column spaces of ``a`` ``(d, k)`` and ``b`` ``(d, m)``.

    With orthonormal bases ``Q_a``, ``Q_b``, the cosines of the angles are the singular values of
    ``Q_a^T Q_b``. All angles are 0 exactly when one subspace contains the other.
    """
    if a.dim() != 2 or b.dim() != 2 or a.shape[0] != b.shape[0]:
        raise ValueError("principal_angles needs two matrices (d, k) and (d, m) whose columns span the subspaces; "
                         f"got shapes {tuple(a.shape)} and {tuple(b.shape)}")
    dtype = torch.promote_types(torch.promote_types(a.dtype, b.dtype), torch.float64)
    qa, qb = orthonormal_basis(a.to(dtype)), orthonormal_basis(b.to(dtype))
    # cos(theta_i) = sigma_i(Q_a^T Q_b)                                  (k, m)
    cos = torch.linalg.svdvals(qa.T @ qb).clamp(-1.0, 1.0)
    return torch.arccos(cos).sort().values
