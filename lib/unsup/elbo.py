"""The evidence lower bound (ELBO) and the pieces it is built from, plus a latent-variable model where
every quantity is known exactly, so each step of the derivation can be checked.

Notation follows the lecture: prior ``p(z) = N(0, I_k)``, decoder ``p_theta(x|z)``, approximate posterior
``q_phi(z|x) = N(mu, diag exp(logvar))``. Every log-density here is in nats and PER EXAMPLE: it is summed
over the dimensions of one example (the *event* dimensions) and never over the batch; the caller reduces.

Which dimensions are summed: the last ``event_dims`` dimensions (default 1, as in
``torch.distributions.Independent(..., 1)``). Everything before them is a batch dimension, and the
arguments broadcast there. So

- ``z (N, k)`` with ``mu (N, k)`` (or the prior's ``mu (k,)``) gives ``(N,)``;
- ``z (K, N, k)`` (K draws per example) with ``mu (N, k)`` gives ``(K, N)``;
- images ``x (N, 1, 28, 28)`` with a mean ``(N, 1, 28, 28)`` or ``(K, N, 1, 28, 28)`` need ``event_dims=3``
  and give ``(N,)`` or ``(K, N)``; flattened images ``(N, 784)`` need the default.

The tractable model ``LinearGaussianLVM`` (probabilistic PCA, Tipping & Bishop 1999) has the protocol of
the VAEs in ``unsup.vae`` (``encode``, ``decode``, ``log_prob_x_given_z``), so the same ELBO and IWAE code
runs on both, and on this one the answers are known in closed form.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

LOG_2PI = math.log(2 * math.pi)

__all__ = [
    "gaussian_kl", "gaussian_kl_per_dimension", "gaussian_log_prob", "bernoulli_log_prob", "reparameterize",
    "log_mean_exp", "gaussian_kl_full", "LinearGaussianLVM", "AmortisedLinearEncoder", "prior_mc_log_marginal",
    "elbo_grad_reparam", "elbo_grad_score", "LinearVAE", "ppca_max_likelihood",
]


def _as_tensor(a, like: torch.Tensor) -> torch.Tensor:
    return a if torch.is_tensor(a) else torch.as_tensor(a, dtype=like.dtype, device=like.device)


def _sum_event(t: torch.Tensor, event_dims: int, name: str) -> torch.Tensor:
    if int(event_dims) != event_dims or event_dims < 0:
        raise ValueError(f"event_dims must be a non-negative integer (how many trailing dimensions make one "
                         f"example), got {event_dims!r}")
    if t.dim() < event_dims:
        raise ValueError(f"{name}: the broadcast arguments have shape {tuple(t.shape)}, fewer than "
                         f"event_dims={event_dims} dimensions; pass a smaller event_dims or reshape the input")
    return t.sum(dim=tuple(range(t.dim() - event_dims, t.dim()))) if event_dims else t


def gaussian_kl_per_dimension(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """``KL(N(mu_j, exp(logvar_j)) || N(0, 1))`` for each coordinate ``j``, in nats, NOT summed:
    ``mu``, ``logvar`` ``(..., k)`` (broadcast together) -> ``(..., k)``. ``gaussian_kl`` is its sum over ``j``
    (the prior and a diagonal ``q`` factorise, so the KL is a sum over coordinates)."""
    if not torch.is_tensor(mu) or not torch.is_tensor(logvar):
        raise TypeError("gaussian_kl takes tensors mu and logvar of shape (..., k)")
    # KL_j = 1/2 (mu_j^2 + exp(logvar_j) - 1 - logvar_j)
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """``KL(N(mu, diag exp(logvar)) || N(0, I))`` per example, summed over the LAST dimension, in nats.

    ``mu``, ``logvar``: ``(..., k)`` (broadcast together) -> ``(...)``.
    Closed form: ``1/2 sum_j (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2)``.
    """
    if torch.is_tensor(mu) and torch.is_tensor(logvar) and mu.dim() == 0 and logvar.dim() == 0:
        raise ValueError("gaussian_kl sums over the last dimension: give mu and logvar of shape (..., k) "
                         "(use shape (1,) for a 1-D latent)")
    # KL = sum_j KL_j
    return gaussian_kl_per_dimension(mu, logvar).sum(dim=-1)


def gaussian_log_prob(x: torch.Tensor, mu, logvar, event_dims: int = 1) -> torch.Tensor:
    """``log N(x; mu, diag exp(logvar))`` in nats, summed over the last ``event_dims`` dimensions.

    ``x``, ``mu``, ``logvar`` broadcast together (floats are allowed for ``mu`` and ``logvar``); the result
    has the broadcast shape without its last ``event_dims`` dimensions. Examples: ``x (N, d)``,
    ``mu (K, N, d)`` -> ``(K, N)``; ``x (N, 1, 28, 28)``, ``mu (N, 1, 28, 28)``, ``event_dims=3`` -> ``(N,)``.
    """
    if not torch.is_tensor(x):
        raise TypeError("gaussian_log_prob takes a tensor x")
    mu, logvar = _as_tensor(mu, x), _as_tensor(logvar, x)
    # log N(x; mu, sigma^2) = -1/2 [log 2 pi + log sigma^2 + (x - mu)^2 / sigma^2], per coordinate
    per_coord = -0.5 * (LOG_2PI + logvar + (x - mu).pow(2) * torch.exp(-logvar))
    return _sum_event(per_coord, event_dims, "gaussian_log_prob")


def bernoulli_log_prob(x: torch.Tensor, logits: torch.Tensor, event_dims: int = 1) -> torch.Tensor:
    """``sum_i x_i log p_i + (1 - x_i) log(1 - p_i)`` with ``p = sigmoid(logits)``, in nats, summed over the
    last ``event_dims`` dimensions; ``x`` and ``logits`` broadcast (``x (N, 784)``, ``logits (K, N, 784)``
    -> ``(K, N)``; images ``(N, 1, 28, 28)`` with ``event_dims=3`` -> ``(N,)``).

    Computed from the logits (``-softplus(-l)`` and ``-softplus(l)``), so it stays finite where
    ``sigmoid(l)`` rounds to 0 or 1. For ``x`` in {0, 1} it is a log-probability; for grey levels in [0, 1]
    it is the (negative) binary cross-entropy, as in most VAE tutorials.
    """
    if not torch.is_tensor(x) or not torch.is_tensor(logits):
        raise TypeError("bernoulli_log_prob takes tensors x and logits")
    # log sigmoid(l) = -softplus(-l);  log(1 - sigmoid(l)) = -softplus(l)
    per_coord = -(x * F.softplus(-logits) + (1 - x) * F.softplus(logits))
    return _sum_event(per_coord, event_dims, "bernoulli_log_prob")


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """One draw ``z = mu + sigma * eps`` with ``eps ~ N(0, I)`` and ``sigma = exp(logvar / 2)``.

    ``mu`` and ``logvar`` broadcast; ``z`` has their broadcast shape (expand ``mu`` to ``(K, N, k)`` for K
    draws per example). Gradients flow to ``mu`` and ``logvar``; the randomness is all in ``eps``.
    """
    shape = torch.broadcast_shapes(mu.shape, logvar.shape)
    eps = torch.randn(shape, generator=generator, device=mu.device, dtype=mu.dtype)
    # z = mu + sigma * eps
    return mu + torch.exp(0.5 * logvar) * eps


def log_mean_exp(a: torch.Tensor, dim: int = 0, keepdim: bool = False) -> torch.Tensor:
    """``log( mean_i exp(a_i) )`` along ``dim``, stably: ``logsumexp(a) - log n`` (no ``exp(a_i)`` overflows or
    underflows on its own). All ``-inf`` gives ``-inf``."""
    n = a.shape[dim]
    if n == 0:
        raise ValueError(f"log_mean_exp over an empty dimension {dim} of a tensor of shape {tuple(a.shape)}")
    return torch.logsumexp(a, dim=dim, keepdim=keepdim) - math.log(n)


def gaussian_kl_full(mu_q: torch.Tensor, cov_q: torch.Tensor, mu_p: torch.Tensor, cov_p: torch.Tensor) -> torch.Tensor:
    """``KL(N(mu_q, cov_q) || N(mu_p, cov_p))`` for full covariances, in nats: ``mu (..., k)``, ``cov (..., k, k)``.

    ``1/2 [tr(cov_p^-1 cov_q) + (mu_p - mu_q)^T cov_p^-1 (mu_p - mu_q) - k + log det cov_p - log det cov_q]``.
    """
    k = mu_q.shape[-1]
    batch = torch.broadcast_shapes(mu_q.shape[:-1], mu_p.shape[:-1], cov_q.shape[:-2], cov_p.shape[:-2])
    mu_q, mu_p = mu_q.expand(*batch, k), mu_p.expand(*batch, k)
    L_p = torch.linalg.cholesky(cov_p.expand(*batch, k, k))
    L_q = torch.linalg.cholesky(cov_q.expand(*batch, k, k))
    # tr(cov_p^-1 cov_q) = ||L_p^-1 L_q||_F^2 (two triangular factors, no inverse)
    trace = torch.linalg.solve_triangular(L_p, L_q, upper=False).pow(2).sum(dim=(-2, -1))
    # (mu_p - mu_q)^T cov_p^-1 (mu_p - mu_q) = ||L_p^-1 (mu_p - mu_q)||^2;  (..., k) -> (..., k, 1)
    maha = torch.linalg.solve_triangular(L_p, (mu_p - mu_q).unsqueeze(-1), upper=False).pow(2).sum(dim=(-2, -1))
    # log det cov = 2 sum log diag(L)
    logdet_p = 2 * torch.diagonal(L_p, dim1=-2, dim2=-1).log().sum(-1)
    logdet_q = 2 * torch.diagonal(L_q, dim1=-2, dim2=-1).log().sum(-1)
    return 0.5 * (trace + maha - k + logdet_p - logdet_q)


class LinearGaussianLVM(nn.Module):
    """Probabilistic PCA: ``z ~ N(0, I_k)``, ``x | z ~ N(W z + b, sigma^2 I_d)``. Everything is exact:

    - marginal ``x ~ N(b, W W^T + sigma^2 I_d)`` (``log_marginal``);
    - posterior ``z | x ~ N(M^-1 W^T (x - b), sigma^2 M^-1)`` with ``M = W^T W + sigma^2 I_k`` (``posterior``);
    - for a Gaussian ``q = N(mu, diag exp(logvar))`` the ELBO in closed form (``elbo``) and
      ``KL(q || p(z|x))`` (``kl_to_posterior``), so ``log p(x) = ELBO(q) + KL(q || p(z|x))`` can be checked
      to rounding error.

    ``W (d, k)`` and ``b (d,)`` are parameters (the dtype of ``W`` is the model's dtype; use float64 for
    identities checked to ~1e-10), ``sigma > 0`` a float. Data ``x`` is ``(N, d)``.
    """

    def __init__(self, W: torch.Tensor, b: torch.Tensor, sigma: float):
        super().__init__()
        W = torch.as_tensor(W)
        if W.dim() != 2:
            raise ValueError(f"W must have shape (d, k); got {tuple(W.shape)}")
        b = torch.as_tensor(b, dtype=W.dtype, device=W.device)
        if b.shape != (W.shape[0],):
            raise ValueError(f"b must have shape (d,) = ({W.shape[0]},) to match W {tuple(W.shape)}; "
                             f"got {tuple(b.shape)}")
        sigma = float(sigma)
        if not sigma > 0:
            raise ValueError(f"sigma must be positive, got {sigma}")
        self.W = nn.Parameter(W.detach().clone())
        self.b = nn.Parameter(b.detach().clone())
        self.sigma = sigma

    @property
    def x_dim(self) -> int:
        return self.W.shape[0]

    @property
    def z_dim(self) -> int:
        return self.W.shape[1]

    def extra_repr(self) -> str:
        return f"d={self.x_dim}, k={self.z_dim}, sigma={self.sigma:g}"

    def _check_x(self, x: torch.Tensor) -> torch.Tensor:
        if not torch.is_tensor(x) or x.dim() != 2 or x.shape[1] != self.x_dim:
            shape = tuple(x.shape) if torch.is_tensor(x) else type(x).__name__
            raise ValueError(f"x must be a tensor of shape (N, d) = (N, {self.x_dim}); got {shape} "
                             "(a single example: x.reshape(1, -1))")
        return x.to(self.W.dtype)

    def _check_q(self, x, mu, logvar):
        n, k = x.shape[0], self.z_dim
        for name, t in (("mu", mu), ("logvar", logvar)):
            if t.shape[-1] != k or (t.dim() >= 2 and t.shape[-2] != n) or t.dim() > 2:
                raise ValueError(f"{name} must have shape (N, k) = ({n}, {k}) or (k,); got {tuple(t.shape)}")

    def marginal_cov(self) -> torch.Tensor:
        """``C = W W^T + sigma^2 I_d``, the covariance of ``p(x)``: ``(d, d)``."""
        eye = torch.eye(self.x_dim, dtype=self.W.dtype, device=self.W.device)
        # C = W W^T + sigma^2 I
        return self.W @ self.W.T + self.sigma ** 2 * eye

    def prior_mc_relative_variance(self, x: torch.Tensor, log: bool = False) -> torch.Tensor:
        """Exact ``Var_{p(z)}[p(x|z)] / p(x)^2`` per example ``(N,)``: the variance of ONE prior draw's estimate
        ``p(x|z)`` of ``p(x)``, relative to ``p(x)^2`` (divide by ``S`` for the mean of ``S`` draws). With
        ``log=True`` its natural log, which stays finite where the ratio itself overflows.

        ``p(x|z)^2 = (4 pi sigma^2)^(-d/2) N(x; W z + b, sigma^2 / 2 I)``, so
        ``E_{p(z)}[p(x|z)^2] = (4 pi sigma^2)^(-d/2) N(x; b, W W^T + sigma^2 / 2 I)``.
        """
        x = self._check_x(x)
        half = LinearGaussianLVM(self.W.detach(), self.b.detach(), self.sigma / math.sqrt(2))
        # log E[p(x|z)^2] - 2 log p(x) = log(1 + relative variance) > 0
        log_second_moment = -0.5 * self.x_dim * math.log(4 * math.pi * self.sigma ** 2) + half.log_marginal(x)
        r = log_second_moment - 2 * self.log_marginal(x)
        # log(e^r - 1) = r + log(1 - e^-r), stable for every r > 0
        log_rel = r + torch.log(-torch.expm1(-r))
        return log_rel if log else log_rel.exp()

    def log_marginal(self, x: torch.Tensor) -> torch.Tensor:
        """Exact ``log p(x) = log N(x; b, W W^T + sigma^2 I)`` per example: ``(N, d) -> (N,)`` nats."""
        x = self._check_x(x)
        L = torch.linalg.cholesky(self.marginal_cov())
        # Mahalanobis term via L^-1 (x - b): (N, d) -> (d, N)
        r = torch.linalg.solve_triangular(L, (x - self.b).T, upper=False)
        # log N = -1/2 [d log 2 pi + log det C + (x - b)^T C^-1 (x - b)]
        logdet = 2 * torch.diagonal(L).log().sum()
        return -0.5 * (self.x_dim * LOG_2PI + logdet + r.pow(2).sum(0))

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Exact ``p(z|x) = N(mean, cov)``: ``mean (N, k)`` and ``cov (k, k)`` (the same for every x)."""
        x = self._check_x(x)
        eye = torch.eye(self.z_dim, dtype=self.W.dtype, device=self.W.device)
        # M = W^T W + sigma^2 I_k
        M = self.W.T @ self.W + self.sigma ** 2 * eye
        # mean = M^-1 W^T (x - b): (k, N) -> (N, k);  cov = sigma^2 M^-1
        mean = torch.linalg.solve(M, self.W.T @ (x - self.b).T).T
        cov = self.sigma ** 2 * torch.linalg.inv(M)
        return mean, cov

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """A diagonal Gaussian ``q(z|x)``: the exact posterior mean and the log of the diagonal of the exact
        posterior covariance, each ``(N, k)``. It is the exact posterior when ``W^T W`` is diagonal;
        otherwise it drops the posterior's correlations (a valid q, with a gap)."""
        mean, cov = self.posterior(x)
        # (k,) -> (N, k)
        logvar = torch.diagonal(cov).log().expand_as(mean)
        return mean, logvar

    def mean_field(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The best diagonal Gaussian: ``argmin_q KL(q || p(z|x))`` over ``q = N(mu, diag exp(logvar))``. Its
        mean is the posterior mean and its variances are ``1 / Lambda_jj``, the inverse diagonal of the
        posterior PRECISION ``Lambda = (W^T W + sigma^2 I) / sigma^2`` (narrower than ``encode``'s diagonal of
        the covariance whenever the posterior is correlated). Each ``(N, k)``."""
        mean, _ = self.posterior(x)
        # Lambda_jj = (||W_j||^2 + sigma^2) / sigma^2;  logvar_j = -log Lambda_jj
        precision_diag = (self.W.pow(2).sum(0) + self.sigma ** 2) / self.sigma ** 2
        return mean, (-precision_diag.log()).expand_as(mean)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """The decoder mean ``W z + b``: ``(..., k) -> (..., d)``."""
        if z.shape[-1] != self.z_dim:
            raise ValueError(f"z must have shape (..., k) = (..., {self.z_dim}); got {tuple(z.shape)}")
        return z.to(self.W.dtype) @ self.W.T + self.b

    decode_mean = decode

    def log_prob_x_given_z(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """``log p(x|z) = log N(x; W z + b, sigma^2 I)``: ``x (N, d)``, ``z (..., N, k)`` -> ``(..., N)`` nats
        (leading dimensions of ``z`` are draws per example)."""
        x = self._check_x(x)
        if z.dim() < 2 or z.shape[-2:] != (x.shape[0], self.z_dim):
            raise ValueError(f"z must have shape (..., N, k) = (..., {x.shape[0]}, {self.z_dim}) for x of shape "
                             f"{tuple(x.shape)}; got {tuple(z.shape)}")
        logvar = torch.full((), 2 * math.log(self.sigma), dtype=self.W.dtype, device=self.W.device)
        # log N(x; W z + b, sigma^2 I), mean (..., N, d) broadcast against x (N, d)
        return gaussian_log_prob(x, self.decode(z), logvar)

    def log_joint(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """``log p(x, z) = log p(x|z) + log p(z)``: ``(..., N)`` nats."""
        return self.log_prob_x_given_z(x, z) + gaussian_log_prob(z.to(self.W.dtype), 0.0, 0.0)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, return_z: bool = False):
        """``n`` draws of ``x``: ``z ~ N(0, I)``, then ``x = W z + b + sigma * eps``; ``(n, d)`` (and ``z``).
        Data, not a graph: no gradient flows back to ``W`` and ``b`` (so the draws can be trained on)."""
        z = torch.randn((n, self.z_dim), generator=generator, dtype=self.W.dtype, device=self.W.device)
        eps = torch.randn((n, self.x_dim), generator=generator, dtype=self.W.dtype, device=self.W.device)
        # x = W z + b + sigma * eps
        x = self.decode(z) + self.sigma * eps
        return (x, z) if return_z else x

    def elbo(self, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, n_samples: int | None = None,
             generator: torch.Generator | None = None) -> torch.Tensor:
        """``ELBO(q) = E_q[log p(x|z)] - KL(q || p(z))`` for ``q = N(mu, diag exp(logvar))``, per example
        ``(N,)`` nats. ``n_samples=None``: the closed form,
        ``-d/2 log(2 pi sigma^2) - (||x - W mu - b||^2 + sum_j exp(logvar_j) ||W_j||^2) / (2 sigma^2) - KL``.
        ``n_samples=S``: the Monte Carlo estimate with S reparameterised draws (unbiased for the closed form).
        """
        x = self._check_x(x)
        self._check_q(x, mu, logvar)
        mu, logvar = mu.to(self.W.dtype), logvar.to(self.W.dtype)
        if n_samples is not None:
            if int(n_samples) != n_samples or n_samples < 1:
                raise ValueError(f"n_samples must be a positive integer or None (closed form), got {n_samples}")
            shape = (int(n_samples), x.shape[0], self.z_dim)
            # z_s = mu + sigma * eps_s: (S, N, k)
            z = reparameterize(mu.expand(shape), logvar.expand(shape), generator=generator)
            # 1/S sum_s log p(x|z_s) - KL(q || p(z)): (S, N) -> (N,)
            return self.log_prob_x_given_z(x, z).mean(0) - gaussian_kl(mu, logvar).expand(x.shape[0])
        resid = x - self.decode(mu)  # (N, d)
        # E_q ||x - W z - b||^2 = ||x - W mu - b||^2 + sum_j var_j ||W_{:, j}||^2
        expected_sq = resid.pow(2).sum(-1) + (logvar.exp() * self.W.pow(2).sum(0)).sum(-1)
        expected_loglik = -0.5 * self.x_dim * (LOG_2PI + 2 * math.log(self.sigma)) - expected_sq / (2 * self.sigma ** 2)
        return expected_loglik - gaussian_kl(mu, logvar).expand(x.shape[0])

    def kl_to_posterior(self, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """Exact ``KL(q || p(z|x))`` for ``q = N(mu, diag exp(logvar))``, per example ``(N,)`` nats."""
        x = self._check_x(x)
        self._check_q(x, mu, logvar)
        mean, cov = self.posterior(x)
        mu, logvar = mu.to(self.W.dtype).expand_as(mean), logvar.to(self.W.dtype).expand_as(mean)
        cov_q = torch.diag_embed(logvar.exp())  # (N, k) -> (N, k, k)
        return gaussian_kl_full(mu, cov_q, mean, cov.expand_as(cov_q))


class AmortisedLinearEncoder(nn.Module):
    """An amortised ``q_phi(z|x) = N(A x + c, diag exp(s))``: one linear map for every x (the lecture's auxiliary
    network, at its simplest), with a log-variance ``s`` shared by all x. For ``LinearGaussianLVM`` the best
    diagonal q of every x (``mean_field``) has exactly this form, so training can reach it.
    ``forward(x (N, d)) -> (mu (N, k), logvar (N, k))``."""

    def __init__(self, x_dim: int, z_dim: int):
        super().__init__()
        self.mean = nn.Linear(x_dim, z_dim)
        self.logvar = nn.Parameter(torch.zeros(z_dim))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if x.dim() != 2 or x.shape[1] != self.mean.in_features:
            raise ValueError(f"x must have shape (N, {self.mean.in_features}); got {tuple(x.shape)}")
        mu = self.mean(x)
        # (k,) -> (N, k)
        return mu, self.logvar.expand_as(mu)


def prior_mc_log_marginal(model, x: torch.Tensor, n_samples: int, generator: torch.Generator | None = None,
                          chunk: int = 4096) -> torch.Tensor:
    """The naive estimate ``log (1/S sum_s p(x | z_s))`` with ``z_s ~ p(z) = N(0, I)``, per example ``(N,)``.

    ``p(x) = E_{p(z)} p(x|z)`` makes ``1/S sum_s p(x|z_s)`` unbiased for ``p(x)`` (its log is biased low, by
    Jensen); almost every prior draw explains ``x`` badly, which is why it needs so many samples.
    ``model`` needs ``z_dim`` and ``log_prob_x_given_z``; draws go in chunks of ``chunk``.
    """
    if int(n_samples) != n_samples or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples}")
    n_samples = int(n_samples)
    ref = next(model.parameters())
    parts = []
    for start in range(0, n_samples, chunk):
        m = min(chunk, n_samples - start)
        z = torch.randn((m, x.shape[0], model.z_dim), generator=generator, dtype=ref.dtype, device=ref.device)
        # log p(x|z_s): (m, N)
        parts.append(model.log_prob_x_given_z(x, z))
    # log 1/S sum_s exp(log p(x|z_s)), stably: (S, N) -> (N,)
    return log_mean_exp(torch.cat(parts), dim=0)


def _elbo_integrand(model, x, z, mu, logvar):
    # f(z) = log p(x, z) - log q(z): (S, N)
    return model.log_joint(x, z) - gaussian_log_prob(z, mu, logvar)


def elbo_grad_reparam(model, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, n_samples: int,
                      generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The reparameterisation estimate of ``(d ELBO / d mu, d ELBO / d logvar)`` of the summed ELBO, from
    ``n_samples`` draws per example: average over ``eps`` of the gradient of
    ``log p(x, mu + sigma eps) - log q(mu + sigma eps)``. Returns two tensors shaped like ``mu``."""
    mu = mu.detach().clone().requires_grad_(True)
    logvar = logvar.detach().clone().requires_grad_(True)
    shape = (int(n_samples), *mu.shape)
    # z_s = mu + sigma * eps_s: (S, N, k), differentiable in (mu, logvar)
    z = reparameterize(mu.expand(shape), logvar.expand(shape), generator=generator)
    f = _elbo_integrand(model, x, z, mu, logvar)  # (S, N)
    g_mu, g_logvar = torch.autograd.grad(f.mean(0).sum(), (mu, logvar))
    return g_mu, g_logvar


def elbo_grad_score(model, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, n_samples: int,
                    generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The score-function (REINFORCE) estimate of the same gradient: the average of
    ``f(z) * grad log q_phi(z)`` with ``z ~ q_phi`` held fixed and ``f(z) = log p(x, z) - log q_phi(z)``
    (the term ``E_q[grad log q_phi]`` is zero in expectation and is left out, as in plain REINFORCE)."""
    mu = mu.detach().clone().requires_grad_(True)
    logvar = logvar.detach().clone().requires_grad_(True)
    shape = (int(n_samples), *mu.shape)
    with torch.no_grad():
        # z_s ~ q, no gradient through the draw: (S, N, k)
        z = reparameterize(mu.expand(shape), logvar.expand(shape), generator=generator)
        f = _elbo_integrand(model, x, z, mu, logvar)  # (S, N)
    log_q = gaussian_log_prob(z, mu, logvar)  # (S, N), a function of (mu, logvar) at fixed z
    # grad ~= 1/S sum_s f(z_s) grad log q(z_s)
    g_mu, g_logvar = torch.autograd.grad((f * log_q).mean(0).sum(), (mu, logvar))
    return g_mu, g_logvar


class LinearVAE(nn.Module):
    """A VAE whose two networks are linear: the decoder ``p_theta(x|z)`` is a ``LinearGaussianLVM`` (``W``, ``b``
    learned, ``sigma`` fixed) and the encoder ``q_phi(z|x)`` an ``AmortisedLinearEncoder``. It has the protocol
    of the VAEs in ``unsup.vae`` (``encode``, ``log_prob_x_given_z``, ``z_dim``), so ``vae.vae_loss`` trains it
    and ``vae.iwae_log_likelihood`` evaluates it, and it keeps the decoder's exact ``log_marginal``.
    """

    def __init__(self, x_dim: int, z_dim: int, sigma: float, generator: torch.Generator | None = None):
        super().__init__()
        W = 0.1 * torch.randn(x_dim, z_dim, generator=generator)
        self.decoder = LinearGaussianLVM(W, torch.zeros(x_dim), sigma)
        self.encoder = AmortisedLinearEncoder(x_dim, z_dim)

    @property
    def z_dim(self) -> int:
        return self.decoder.z_dim

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.encoder(x)

    def log_prob_x_given_z(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.decoder.log_prob_x_given_z(x, z)

    def log_marginal(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder.log_marginal(x)


def ppca_max_likelihood(x: torch.Tensor, z_dim: int, sigma: float) -> LinearGaussianLVM:
    """The maximum-likelihood ``LinearGaussianLVM`` for data ``x (N, d)`` with ``sigma`` fixed (Tipping & Bishop
    1999): ``b`` = the data mean and ``W = U_k (Lambda_k - sigma^2 I)^(1/2)``, with ``Lambda_k``, ``U_k`` the
    top-``k`` eigenvalues and eigenvectors of the sample covariance (divided by ``N``); a direction whose
    eigenvalue is below ``sigma^2`` gets a zero column. Its columns are orthogonal, so its posterior is
    diagonal. Unique up to a rotation ``W R`` and the signs of the columns."""
    if x.dim() != 2 or not 1 <= z_dim <= x.shape[1]:
        raise ValueError(f"x must be (N, d) and 1 <= z_dim <= d; got x {tuple(x.shape)}, z_dim={z_dim}")
    b = x.mean(0)
    # sample covariance S = 1/N sum_n (x_n - b)(x_n - b)^T: (d, d)
    S = (x - b).T @ (x - b) / x.shape[0]
    evals, evecs = torch.linalg.eigh(S)  # ascending
    lam, U = evals.flip(0)[:z_dim], evecs.flip(1)[:, :z_dim]
    # W = U_k (Lambda_k - sigma^2 I)^(1/2), clipped at 0
    W = U * (lam - sigma ** 2).clamp_min(0).sqrt()
    return LinearGaussianLVM(W, b, sigma)
