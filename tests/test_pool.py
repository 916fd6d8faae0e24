"""ImagePool (Shrivastava et al. 2017; CycleGAN reference behaviour)."""
import pytest
import torch

from gan_helpers.train.pool import ImagePool


def batch(value: float, n: int = 1) -> torch.Tensor:
    return torch.full((n, 1, 2, 2), value)


def test_fills_then_returns_the_new_images():
    pool = ImagePool(3)
    out = pool.query(torch.cat([batch(0), batch(1)]))
    assert torch.equal(out, torch.cat([batch(0), batch(1)]))
    assert len(pool) == 2
    pool.query(batch(2))
    assert len(pool) == 3


def test_full_pool_swaps_about_half_and_keeps_its_size():
    pool = ImagePool(5, generator=torch.Generator().manual_seed(0))
    pool.query(torch.arange(5.0).view(5, 1, 1, 1))          # values 0..4 stored
    new = torch.arange(100.0, 500.0).view(400, 1, 1, 1)      # values >= 100 are new
    out = pool.query(new)
    assert out.shape == new.shape and len(pool) == 5
    # An image that differs from the one sent in came from the history: about half of them.
    assert 0.4 < float((out != new).float().mean()) < 0.6
    # Every returned old image was once sent in: no invented values.
    sent = set(range(5)) | set(range(100, 500))
    assert set(int(v) for v in out.flatten()) <= sent


def test_returns_detached_and_stores_copies():
    pool = ImagePool(2)
    x = torch.zeros(1, 1, 2, 2, requires_grad=True)
    y = x * 2
    out = pool.query(y)
    assert not out.requires_grad
    y2 = y.detach()
    y2 += 5  # in-place change of the caller's tensor must not reach the pool
    assert torch.equal(pool.images[0], torch.zeros(1, 1, 2, 2))


def test_size_zero_passes_through_and_bad_input_is_refused():
    pool = ImagePool(0)
    x = torch.randn(3, 1, 2, 2)
    assert torch.equal(pool.query(x), x) and len(pool) == 0
    with pytest.raises(ValueError, match="pool_size"):
        ImagePool(-1)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        ImagePool(2).query(torch.randn(3, 4))


def test_same_generator_seed_same_choices():
    outs = []
    for _ in range(2):
        pool = ImagePool(4, generator=torch.Generator().manual_seed(3))
        pool.query(torch.arange(4.0).view(4, 1, 1, 1))
        outs.append(pool.query(torch.arange(10.0, 30.0).view(20, 1, 1, 1)))
    assert torch.equal(*outs)
