"""unsup.elbo against torch.distributions, Monte Carlo, and the identities of the ELBO chapter."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.distributions import Bernoulli, Independent, MultivariateNormal, Normal, kl_divergence

from unsup import elbo
from unsup.elbo import LinearGaussianLVM

D64 = torch.float64


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def model_and_data(d=5, k=2, sigma=0.5, n=50, seed=0, dtype=D64):
    g = gen(seed)
    W = torch.randn(d, k, generator=g, dtype=dtype)
    b = torch.randn(d, generator=g, dtype=dtype)
    model = LinearGaussianLVM(W, b, sigma)
    return model, model.sample(n, generator=g)


def random_q(n, k, seed=1, dtype=D64):
    g = gen(seed)
    return torch.randn(n, k, generator=g, dtype=dtype), torch.randn(n, k, generator=g, dtype=dtype)


# --- the per-example densities ---------------------------------------------------------------------------

def test_gaussian_kl_matches_torch_distributions():
    mu, logvar = random_q(20, 4)
    q = Independent(Normal(mu, (0.5 * logvar).exp()), 1)
    p = Independent(Normal(torch.zeros_like(mu), torch.ones_like(mu)), 1)
    torch.testing.assert_close(elbo.gaussian_kl(mu, logvar), kl_divergence(q, p))
    assert elbo.gaussian_kl(mu, logvar).shape == (20,)
    # zero exactly at the prior, positive elsewhere
    assert elbo.gaussian_kl(torch.zeros(3, 4), torch.zeros(3, 4)).abs().max() == 0
    assert (elbo.gaussian_kl(mu, logvar) > 0).all()


def test_gaussian_kl_per_dimension_matches_torch_and_sums_to_the_kl():
    g = torch.Generator().manual_seed(3)
    mu = torch.randn(4, 5, generator=g, dtype=torch.float64)
    logvar = torch.randn(4, 5, generator=g, dtype=torch.float64)
    per_dim = elbo.gaussian_kl_per_dimension(mu, logvar)
    ref = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(torch.zeros_like(mu), torch.ones_like(mu)))
    torch.testing.assert_close(per_dim, ref)  # (4, 5): one KL per coordinate
    torch.testing.assert_close(elbo.gaussian_kl(mu, logvar), per_dim.sum(-1))


def test_gaussian_kl_matches_monte_carlo():
    mu, logvar = torch.tensor([[0.7, -1.2]], dtype=D64), torch.tensor([[-0.5, 0.4]], dtype=D64)
    z = elbo.reparameterize(mu.expand(200_000, 2), logvar.expand(200_000, 2), generator=gen(3))
    # KL = E_q[log q(z) - log p(z)]
    ratio = elbo.gaussian_log_prob(z, mu, logvar) - elbo.gaussian_log_prob(z, 0.0, 0.0)
    se = ratio.std() / math.sqrt(len(ratio))
    assert abs(ratio.mean() - elbo.gaussian_kl(mu, logvar)[0]) < 4 * se


@settings(max_examples=25, deadline=None)
@given(lead=st.lists(st.integers(1, 3), min_size=0, max_size=2), n=st.integers(1, 4),
       event=st.lists(st.integers(1, 4), min_size=1, max_size=3))
def test_gaussian_log_prob_matches_torch_for_all_shapes(lead, n, event):
    g = gen(len(lead) + 10 * n)
    x = torch.randn(n, *event, generator=g, dtype=D64)
    mu = torch.randn(*lead, n, *event, generator=g, dtype=D64)
    logvar = torch.randn(*lead, n, *event, generator=g, dtype=D64)
    ours = elbo.gaussian_log_prob(x, mu, logvar, event_dims=len(event))
    ref = Independent(Normal(mu, (0.5 * logvar).exp()), len(event)).log_prob(x)
    assert ours.shape == (*lead, n)
    torch.testing.assert_close(ours, ref)


@settings(max_examples=25, deadline=None)
@given(lead=st.lists(st.integers(1, 3), min_size=0, max_size=2), n=st.integers(1, 4),
       event=st.lists(st.integers(1, 4), min_size=1, max_size=3))
def test_bernoulli_log_prob_matches_torch_for_all_shapes(lead, n, event):
    g = gen(len(lead) + 10 * n)
    x = (torch.rand(n, *event, generator=g) < 0.5).to(D64)
    logits = 3 * torch.randn(*lead, n, *event, generator=g, dtype=D64)
    ours = elbo.bernoulli_log_prob(x, logits, event_dims=len(event))
    ref = Independent(Bernoulli(logits=logits), len(event)).log_prob(x)
    assert ours.shape == (*lead, n)
    torch.testing.assert_close(ours, ref)


def test_image_shapes_sum_over_pixels_and_broadcast_over_samples():
    x = torch.rand(6, 1, 28, 28)
    logits = torch.randn(4, 6, 1, 28, 28)
    out = elbo.bernoulli_log_prob(x, logits, event_dims=3)
    assert out.shape == (4, 6)
    flat = elbo.bernoulli_log_prob(x.reshape(6, 784), logits.reshape(4, 6, 784))
    torch.testing.assert_close(out, flat)
    # a per-example value summed over pixels: hundreds of nats, not a per-pixel mean
    assert out.abs().min() > 100
    g = elbo.gaussian_log_prob(x, x.expand(4, 6, 1, 28, 28), torch.zeros(()), event_dims=3)
    torch.testing.assert_close(g, torch.full((4, 6), -0.5 * 784 * math.log(2 * math.pi)))


def test_bernoulli_log_prob_is_finite_for_extreme_logits():
    x = torch.tensor([[1.0, 0.0]])
    out = elbo.bernoulli_log_prob(x, torch.tensor([[-200.0, 200.0]]))
    assert torch.isfinite(out).all() and out.item() == pytest.approx(-400.0)


def test_bad_event_dims_are_explained():
    with pytest.raises(ValueError, match="event_dims"):
        elbo.gaussian_log_prob(torch.zeros(3), 0.0, 0.0, event_dims=2)
    with pytest.raises(ValueError, match="event_dims"):
        elbo.bernoulli_log_prob(torch.zeros(3, 2), torch.zeros(3, 2), event_dims=-1)
    with pytest.raises(ValueError, match="last dimension"):
        elbo.gaussian_kl(torch.tensor(0.0), torch.tensor(0.0))


def test_reparameterize_has_the_right_moments_and_gradients():
    mu = torch.tensor([1.5, -2.0], requires_grad=True)
    logvar = torch.tensor([0.4, -1.0], requires_grad=True)
    z = elbo.reparameterize(mu.expand(100_000, 2), logvar.expand(100_000, 2), generator=gen(0))
    assert z.shape == (100_000, 2)
    torch.testing.assert_close(z.mean(0), mu.detach(), atol=0.02, rtol=0)
    torch.testing.assert_close(z.var(0), logvar.detach().exp(), atol=0.03, rtol=0)
    # d z / d mu = 1 for every draw
    (g_mu,) = torch.autograd.grad(z.sum(), mu, retain_graph=True)
    torch.testing.assert_close(g_mu, torch.full((2,), 100_000.0))
    # the same generator seed gives the same draw
    torch.testing.assert_close(elbo.reparameterize(mu, logvar, gen(5)), elbo.reparameterize(mu, logvar, gen(5)))


def test_log_mean_exp_is_stable_and_exact():
    a = torch.tensor([[-1000.0, -1001.0], [1000.0, 999.0]])
    out = elbo.log_mean_exp(a, dim=1)
    expected = a[:, 0] + math.log((1 + math.exp(-1)) / 2)
    torch.testing.assert_close(out, expected)
    b = torch.randn(7, 3, dtype=D64)
    torch.testing.assert_close(elbo.log_mean_exp(b, 0), b.exp().mean(0).log())
    assert elbo.log_mean_exp(torch.full((4,), -math.inf), 0) == -math.inf


def test_gaussian_kl_full_matches_torch():
    g = gen(2)
    A, B = torch.randn(3, 3, 3, generator=g, dtype=D64), torch.randn(3, 3, 3, generator=g, dtype=D64)
    cov_q, cov_p = A @ A.mT + 0.1 * torch.eye(3), B @ B.mT + 0.1 * torch.eye(3)
    mu_q, mu_p = torch.randn(3, 3, generator=g, dtype=D64), torch.randn(3, 3, generator=g, dtype=D64)
    ref = kl_divergence(MultivariateNormal(mu_q, cov_q), MultivariateNormal(mu_p, cov_p))
    torch.testing.assert_close(elbo.gaussian_kl_full(mu_q, cov_q, mu_p, cov_p), ref)


# --- the tractable model ----------------------------------------------------------------------------------

def test_lvm_log_marginal_matches_torch_and_monte_carlo():
    model, x = model_and_data()
    ref = MultivariateNormal(model.b, model.W @ model.W.T + 0.25 * torch.eye(5, dtype=D64)).log_prob(x)
    torch.testing.assert_close(model.log_marginal(x), ref)
    # p(x) = E_{p(z)} p(x|z): 100k prior draws land within ~5% of p(x) for a 5-D x
    est = elbo.prior_mc_log_marginal(model, x[:3], 100_000, generator=gen(4))
    torch.testing.assert_close(est, ref[:3], atol=0.05, rtol=0)


def test_lvm_posterior_is_bayes_rule():
    """p(z|x) = p(x|z) p(z) / p(x), checked pointwise at random z."""
    model, x = model_and_data(n=8)
    mean, cov = model.posterior(x)
    assert mean.shape == (8, 2) and cov.shape == (2, 2)
    z = torch.randn(3, 8, 2, generator=gen(7), dtype=D64)
    bayes = model.log_joint(x, z) - model.log_marginal(x)
    torch.testing.assert_close(MultivariateNormal(mean, cov).log_prob(z), bayes)


def test_lvm_encode_is_the_posterior_when_columns_are_orthogonal():
    W = torch.tensor([[2.0, 0.0], [0.0, 0.5], [0.0, 0.0]], dtype=D64)
    model = LinearGaussianLVM(W, torch.zeros(3, dtype=D64), 0.3)
    x = model.sample(10, generator=gen())
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (10, 2)
    assert model.kl_to_posterior(x, mu, logvar).abs().max() < 1e-12
    torch.testing.assert_close(model.elbo(x, mu, logvar), model.log_marginal(x))
    # with correlated columns the diagonal q leaves a gap
    model2, x2 = model_and_data()
    assert (model2.kl_to_posterior(x2, *model2.encode(x2)) > 1e-3).all()


def test_lvm_shapes_and_sampling():
    model, x = model_and_data(n=4)
    assert model.log_prob_x_given_z(x, torch.randn(4, 2, dtype=D64)).shape == (4,)
    assert model.log_prob_x_given_z(x, torch.randn(3, 4, 2, dtype=D64)).shape == (3, 4)
    assert model.log_prob_x_given_z(x, torch.randn(2, 3, 4, 2, dtype=D64)).shape == (2, 3, 4)
    xs = model.sample(100_000, generator=gen(9))
    assert xs.shape == (100_000, 5)
    torch.testing.assert_close(xs.mean(0), model.b.detach(), atol=0.03, rtol=0)
    torch.testing.assert_close(torch.cov(xs.T), model.marginal_cov().detach(), atol=0.05, rtol=0)


def test_lvm_bad_shapes_are_explained():
    model, x = model_and_data(n=4)
    with pytest.raises(ValueError, match=r"\(N, d\)"):
        model.log_marginal(x[0])
    with pytest.raises(ValueError, match=r"\(\.\.\., N, k\)"):
        model.log_prob_x_given_z(x, torch.randn(5, 2, dtype=D64))
    with pytest.raises(ValueError, match="b must have shape"):
        LinearGaussianLVM(torch.randn(5, 2), torch.randn(4), 1.0)
    with pytest.raises(ValueError, match="sigma"):
        LinearGaussianLVM(torch.randn(5, 2), torch.randn(5), 0.0)


def test_log_px_is_elbo_plus_kl_for_many_q():
    """log p(x) = ELBO(q) + KL(q || p(z|x)) to rounding error; ELBO <= log p(x); equality at the posterior."""
    model, x = model_and_data(n=30)
    log_px = model.log_marginal(x)
    for seed in range(20):
        mu, logvar = random_q(30, 2, seed=seed)
        bound = model.elbo(x, mu, logvar)
        gap = model.kl_to_posterior(x, mu, logvar)
        torch.testing.assert_close(bound + gap, log_px, atol=1e-10, rtol=0)
        assert (bound < log_px).all()
    # a 1-D latent (k = 1) makes the diagonal q exact: the bound is tight
    model1, x1 = model_and_data(k=1)
    mean, cov = model1.posterior(x1)
    torch.testing.assert_close(model1.elbo(x1, mean, cov.diagonal().log().expand_as(mean)), model1.log_marginal(x1))


def test_closed_form_elbo_matches_monte_carlo_and_the_vae_formula():
    model, x = model_and_data(n=6)
    mu, logvar = random_q(6, 2, seed=3)
    exact = model.elbo(x, mu, logvar)
    S = 50_000
    # one-draw estimates, S of them: their mean is the S-sample estimate, their std gives its standard error
    draws = torch.stack([model.elbo(x, mu, logvar, n_samples=1, generator=gen(s)) for s in range(2000)])
    se = draws.std(0) / math.sqrt(len(draws))
    assert ((draws.mean(0) - exact).abs() < 4 * se).all()
    mc = model.elbo(x, mu, logvar, n_samples=S, generator=gen(1))
    assert ((mc - exact).abs() < 4 * draws.std(0) / math.sqrt(S)).all()
    # the same ELBO as E_q[log p(x,z) - log q(z)] with no closed-form KL
    z = elbo.reparameterize(mu.expand(S, 6, 2), logvar.expand(S, 6, 2), generator=gen(2))
    f = model.log_joint(x, z) - elbo.gaussian_log_prob(z, mu, logvar)  # (S, N)
    assert ((f.mean(0) - exact).abs() < 4 * f.std(0) / math.sqrt(S)).all()


def test_gradient_estimators_are_unbiased_and_reparam_has_lower_variance():
    model, x = model_and_data(n=1, d=3, k=1)
    mu, logvar = torch.tensor([[0.3]], dtype=D64), torch.tensor([[-0.5]], dtype=D64)
    m, lv = mu.clone().requires_grad_(True), logvar.clone().requires_grad_(True)
    true = torch.autograd.grad(model.elbo(x, m, lv).sum(), (m, lv))
    g = gen(0)
    reps = {name: torch.stack([torch.cat([t.flatten() for t in fn(model, x, mu, logvar, 10, generator=g)])
                               for _ in range(2000)])
            for name, fn in (("reparam", elbo.elbo_grad_reparam), ("score", elbo.elbo_grad_score))}
    truth = torch.cat([t.flatten() for t in true])
    for est in reps.values():
        se = est.std(0) / math.sqrt(len(est))
        assert ((est.mean(0) - truth).abs() < 4 * se).all(), (est.mean(0), truth, se)
    assert (reps["score"].var(0) > 2 * reps["reparam"].var(0)).all()


def test_lvm_works_with_the_vae_elbo_code_in_float32():
    model, x = model_and_data(dtype=torch.float32)
    mu, logvar = model.encode(x)
    assert mu.dtype == torch.float32
    torch.testing.assert_close(model.elbo(x, mu, logvar) + model.kl_to_posterior(x, mu, logvar),
                               model.log_marginal(x), atol=1e-3, rtol=0)


# --- the explorer in the page ------------------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.slow
def test_elbo_explorer_in_a_browser_matches_the_python_closed_forms(browser, tmp_path):
    """Headless Chromium, network blocked: the page's numbers equal LinearGaussianLVM's for several q and x."""
    from offline_browser import open_offline

    from unsup.widgets import elbo_explorer_html

    w, b, sigma = 1.7, 0.3, 0.8
    page_file = tmp_path / "explorer.html"
    page_file.write_text("<html><body>" + elbo_explorer_html(w, b, sigma, element_id="e") + "</body></html>")
    model = LinearGaussianLVM(torch.tensor([[w]], dtype=D64), torch.tensor([b], dtype=D64), sigma)
    page, remote, errors, _ = open_offline(browser, page_file)
    page.wait_for_function("window.unsupElboExplorers && window.unsupElboExplorers['e']")
    for mu, logvar, x in [(-1.0, 0.0, 1.5), (0.4, -2.0, -0.7), (2.5, 1.5, 3.0)]:
        v = page.evaluate(f"window.unsupElboExplorers['e'].set({{mu: {mu}, logvar: {logvar}, x: {x}}})")
        xt, m, lv = (torch.tensor([[t]], dtype=D64) for t in (x, mu, logvar))
        assert v["logpx"] == pytest.approx(model.log_marginal(xt).item(), abs=1e-9)
        assert v["elbo"] == pytest.approx(model.elbo(xt, m, lv).item(), abs=1e-9)
        assert v["kl"] == pytest.approx(model.kl_to_posterior(xt, m, lv).item(), abs=1e-9)
    # the button puts q on the exact posterior: the gap closes
    page.click("#e button.snap")
    v = page.evaluate("window.unsupElboExplorers['e'].values")
    assert abs(v["kl"]) < 1e-4 and v["elbo"] == pytest.approx(v["logpx"], abs=1e-4)
    page.close()
    assert not errors and not remote


def correlated_model(n=10, dtype=D64):
    """Nearly parallel columns of W and a wide sigma: a strongly correlated posterior."""
    g = gen(11)
    w = torch.randn(5, generator=g, dtype=dtype)
    W = torch.stack([w, w + 0.3 * torch.randn(5, generator=g, dtype=dtype)], 1)  # (d, 2)
    model = LinearGaussianLVM(W, torch.zeros(5, dtype=dtype), 1.0)
    return model, model.sample(n, generator=g)


def test_mean_field_is_the_best_diagonal_q():
    model, x = correlated_model()
    mu, logvar = model.mean_field(x)
    best = model.kl_to_posterior(x, mu, logvar)
    assert (best < model.kl_to_posterior(x, *model.encode(x)) - 1e-4).all()
    g = gen(3)
    for _ in range(20):
        nudged = logvar + 0.05 * torch.randn(logvar.shape, generator=g, dtype=D64)
        moved = mu + 0.05 * torch.randn(mu.shape, generator=g, dtype=D64)
        assert (model.kl_to_posterior(x, moved, nudged) > best).all()


def test_amortised_encoder_smoke_fit_reaches_the_mean_field_elbo(tmp_path):
    import unsup

    unsup.seed_everything(0)
    model, _ = correlated_model(dtype=torch.float32)
    model.requires_grad_(False)
    x = model.sample(1000, generator=gen(1))
    enc = elbo.AmortisedLinearEncoder(5, 2)
    before = model.elbo(x, *enc(x)).mean().item()

    def loss_fn(encoder, batch):
        # maximise the one-sample reparameterised ELBO: loss = -mean_N ELBO
        bound = model.elbo(batch, *encoder(batch), n_samples=1)
        return -bound.mean(), {"elbo": bound.mean()}

    unsup.train.fit(enc, loss_fn, unsup.data.TensorLoader(x, batch_size=50, seed=0), epochs=10, lr=2e-2,
                    verbose=False, progress=False)
    with torch.no_grad():
        after = model.elbo(x, *enc(x)).mean().item()
        optimum = model.elbo(x, *model.mean_field(x)).mean().item()
    encode_diag = model.elbo(x, *model.encode(x)).mean().item()
    assert after > before + 1 and optimum - after < 0.1, (before, after, optimum)
    # and it beats the diagonal of the posterior covariance, which is not the best diagonal q
    assert after > encode_diag, (after, encode_diag)


# --- naive Monte Carlo, maximum likelihood, and the linear VAE ----------------------------------------------

def test_prior_mc_relative_variance_matches_quadrature_and_monte_carlo():
    # d = k = 1: Var[p(x|z)] / p(x)^2 by quadrature over z on a fine grid
    model = LinearGaussianLVM(torch.tensor([[1.5]], dtype=D64), torch.tensor([0.2], dtype=D64), 0.4)
    x = torch.tensor([[0.0], [1.0], [-2.5]], dtype=D64)
    z = torch.linspace(-12, 12, 200_001, dtype=D64)
    pz = torch.distributions.Normal(0.0, 1.0).log_prob(z).exp()
    lik = model.log_prob_x_given_z(x, z.reshape(-1, 1, 1).expand(-1, 3, 1)).exp()  # (Z, N)
    dz = z[1] - z[0]
    m1, m2 = (lik * pz[:, None]).sum(0) * dz, (lik ** 2 * pz[:, None]).sum(0) * dz
    torch.testing.assert_close(model.prior_mc_relative_variance(x), m2 / m1 ** 2 - 1, rtol=1e-8, atol=0)
    torch.testing.assert_close(model.prior_mc_relative_variance(x, log=True), (m2 / m1 ** 2 - 1).log(),
                               rtol=1e-8, atol=1e-8)
    # d = 4, k = 2: the spread of p(x|z_s) / p(x) over 400k prior draws
    model2, x2 = model_and_data(d=4, k=2, sigma=1.0, n=3)
    ratio = (model2.log_prob_x_given_z(x2, torch.randn(400_000, 3, 2, generator=gen(5), dtype=D64))
             - model2.log_marginal(x2)).exp()
    torch.testing.assert_close(ratio.mean(0), torch.ones(3, dtype=D64), atol=0.02, rtol=0)
    torch.testing.assert_close(ratio.var(0), model2.prior_mc_relative_variance(x2), rtol=0.1, atol=0)


def test_prior_mc_relative_variance_grows_with_the_latent_dimension():
    rel = []
    for k in (1, 4, 16):
        W = torch.randn(32, k, generator=gen(k), dtype=D64) / 2
        model = LinearGaussianLVM(W, torch.zeros(32, dtype=D64), 1.0)
        rel.append(model.prior_mc_relative_variance(model.sample(100, generator=gen(0)), log=True).median())
    assert rel[0] < rel[1] < rel[2] and rel[2] > 10  # more than e^10 prior draws per unit of relative variance


def test_ppca_max_likelihood_is_a_stationary_maximum():
    true, _ = model_and_data(d=6, k=2, sigma=0.5)
    x = true.sample(3000, generator=gen(2))
    ml = elbo.ppca_max_likelihood(x, 2, 0.5)
    ll = ml.log_marginal(x).sum()
    gW, gb = torch.autograd.grad(ll, (ml.W, ml.b))
    assert gW.abs().max() < 1e-8 * len(x) and gb.abs().max() < 1e-8 * len(x)
    WtW = ml.W.detach().T @ ml.W.detach()
    assert (WtW - torch.diag(WtW.diagonal())).abs().max() < 1e-10  # orthogonal columns: a diagonal posterior
    g = gen(3)
    for _ in range(10):
        other = LinearGaussianLVM(ml.W.detach() + 0.05 * torch.randn(6, 2, generator=g, dtype=D64),
                                  ml.b.detach() + 0.05 * torch.randn(6, generator=g, dtype=D64), 0.5)
        assert other.log_marginal(x).sum() < ll
    with pytest.raises(ValueError, match="z_dim"):
        elbo.ppca_max_likelihood(x, 7, 0.5)


def test_sample_is_data_not_a_graph():
    model, x = model_and_data()
    assert not x.requires_grad and x.grad_fn is None


def test_linear_vae_trained_with_vae_loss_reaches_maximum_likelihood():
    """Smoke fit: the VAE chapter's loss on linear networks fits probabilistic PCA, and its ELBO closes on the
    exact maximum log-likelihood (the best diagonal q is exact at the ML solution, whose columns are orthogonal)."""
    import unsup
    from unsup import vae

    true, _ = model_and_data(d=5, k=2, sigma=0.5, dtype=torch.float32)
    x = true.sample(2000, generator=gen(1))
    best = elbo.ppca_max_likelihood(x, 2, 0.5).log_marginal(x).mean().item()
    unsup.seed_everything(0)
    model = elbo.LinearVAE(5, 2, 0.5, generator=gen(2))
    with torch.no_grad():
        before = model.log_marginal(x).mean().item()
    for lr, epochs in ((2e-2, 20), (2e-3, 10)):
        unsup.train.fit(model, vae.vae_loss, unsup.data.TensorLoader(x, batch_size=100, seed=0), epochs=epochs,
                        lr=lr, verbose=False, progress=False)
    with torch.no_grad():
        after = model.log_marginal(x).mean().item()
        bound = model.decoder.elbo(x, *model.encode(x)).mean().item()
        iwae = vae.iwae_log_likelihood(model, x, 1000, generator=gen(3)).mean().item()
    assert before < best - 1 and best - after < 0.03, (before, after, best)
    assert bound <= after + 1e-4 and after - bound < 0.03, (bound, after)
    assert bound <= iwae + 1e-3 and abs(iwae - after) < 0.01, (iwae, after)


def test_elbo_plots_draw_what_they_are_given():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from unsup import viz

    fig = viz.histogram_vs_density(torch.rand(1000, generator=gen()) ** 2, lambda t: 0.5 / t.sqrt(), support=(0, 1))
    assert len(fig.axes[0].patches) == 50 and len(fig.axes[0].lines) == 1
    fig2 = viz.pushforward_2d(lambda z: z * 2, n=100, lines=3, generator=gen())
    assert len(fig2.axes) == 2 and len(fig2.axes[1].lines) == 6  # 3 lines in each direction, pushed forward
    fig3 = viz.estimator_spread([1, 4, 16], {"a": [1.0, 0.5, 0.25]})
    assert fig3.axes[0].get_xscale() == "log"
    fig4 = viz.elbo_decomposition(torch.linspace(0, 1, 5), -1.0, -torch.ones(5) - 0.1, 0.1 * torch.ones(5))
    torch.testing.assert_close(torch.as_tensor(fig4.axes[0].lines[2].get_ydata()), -torch.ones(5, dtype=D64))
    fig5 = viz.training_curves({"loss": [3.0, 2.0, 1.5]}, best=1.0)
    assert list(fig5.axes[0].lines[0].get_xdata()) == [1, 2, 3] and fig5.axes[0].lines[1].get_ydata()[0] == 1.0
    plt.close("all")
