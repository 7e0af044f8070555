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
