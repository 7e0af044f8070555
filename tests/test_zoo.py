"""The shared reference models: one definition, so chapters 4 and 5 hit the same cache entry."""

import pytest
import torch

from unsup import zoo


def test_fashion_vae_second_call_loads_the_same_weights(private_cache):
    x = torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    m1, _ = zoo.fashion_vae(x, x[:16], epochs=1, desc="zoo test")
    assert any(private_cache.rglob("*")), "the first call should have written a checkpoint"
    m2, _ = zoo.fashion_vae(x, x[:16], epochs=1, desc="zoo test")
    for a, b in zip(m1.state_dict().values(), m2.state_dict().values()):
        assert torch.equal(a, b)
    # a different seed is a different model, not a cache hit
    m3, _ = zoo.fashion_vae(x, x[:16], epochs=1, seed=2, desc="zoo test")
    first = next(iter(m1.state_dict()))
    assert not torch.equal(m1.state_dict()[first], m3.state_dict()[first])


def test_fashion_vae_refuses_other_images():
    with pytest.raises(ValueError, match="Fashion-MNIST images"):
        zoo.fashion_vae(torch.rand(4, 3, 28, 28), torch.rand(4, 3, 28, 28), epochs=1)


def test_ring_gan_is_cached_and_its_snapshots_come_back(private_cache):
    model, snaps = zoo.ring_gan(3, pack=2, iterations=20, batch_size=32, every=10)
    assert snaps.epochs == [1, 2] and snaps.values[0].shape == (2500, 2)
    assert model.pack == 2 and model.D.in_dim == 4
    again, snaps_again = zoo.ring_gan(3, pack=2, iterations=20, batch_size=32, every=10)
    for a, b in zip(snaps.values, snaps_again.values):
        assert torch.equal(a, b)
    # the learning rates are part of the run: another rate is another model
    _, other = zoo.ring_gan(3, pack=2, iterations=20, batch_size=32, every=10, lr_d=1e-3)
    assert not torch.equal(other.values[-1], snaps.values[-1])


def test_ring_gan_refuses_a_batch_that_does_not_split_into_packs():
    with pytest.raises(ValueError, match="multiple of pack"):
        zoo.ring_gan(0, pack=3, batch_size=256, iterations=20, every=10)
