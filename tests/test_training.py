"""The library's GAN step (training.d_step / g_step), the weight average and the batch-norm
recalibration (gan_helpers.train; notebooks 02-05)."""
import copy

import pytest
import torch
from torch import nn

from gan_helpers.losses import discriminator_loss, generator_loss_nonsaturating, generator_loss_saturating
from gan_helpers.models.cgan import ConditionalDiscriminator, ConditionalGenerator
from gan_helpers.models.toy import ToyDiscriminator, ToyGenerator
from gan_helpers.train.average import EMA, recalibrate_batchnorm
from gan_helpers.train.step import d_step, g_step


def _flat(m):
    return torch.cat([p.detach().flatten() for p in m.parameters()])


def _toy(seed=0, device="cpu"):
    torch.manual_seed(seed)
    G, D = ToyGenerator(2, 2, 16, 2).to(device), ToyDiscriminator(2, 16, 2).to(device)
    return G, D, torch.randn(32, 2).to(device), torch.randn(32, 2).to(device)


def test_d_step_updates_only_D_with_the_bce_loss(device):
    G, D, x_real, z = _toy(device=device)
    with torch.no_grad():
        want = discriminator_loss(D(x_real), D(G(z)))
    g0, d0 = _flat(G), _flat(D)
    D_ref = copy.deepcopy(D)
    out = d_step(D, torch.optim.SGD(D.parameters(), 0.1), x_real, G(z))
    assert torch.isclose(out["loss_D"], want) and not out["loss_D"].requires_grad
    assert 0 < float(out["D_x"]) < 1 and 0 < float(out["D_G_z"]) < 1
    assert all(p.grad is None for p in G.parameters())    # x_fake was detached inside
    assert torch.equal(_flat(G), g0) and not torch.equal(_flat(D), d0)
    # The same as one SGD step on the loss, done by hand.
    opt = torch.optim.SGD(D_ref.parameters(), 0.1)
    discriminator_loss(D_ref(x_real), D_ref(G(z).detach())).backward()
    opt.step()
    assert torch.allclose(_flat(D), _flat(D_ref))


@pytest.mark.parametrize("non_saturating", [True, False])
def test_g_step_updates_only_G_through_D(non_saturating, device):
    G, D, _, z = _toy(1, device)
    loss_fn = generator_loss_nonsaturating if non_saturating else generator_loss_saturating
    with torch.no_grad():
        want = loss_fn(D(G(z)))
    d0, g0 = _flat(D), _flat(G)
    loss = g_step(D, torch.optim.SGD(G.parameters(), 0.1), G(z), non_saturating=non_saturating)
    assert torch.isclose(loss, want)
    assert torch.equal(_flat(D), d0) and not torch.equal(_flat(G), g0)


def test_steps_pass_labels_in_the_conditional_game():
    torch.manual_seed(0)
    G, D = ConditionalGenerator(8, 10, 4), ConditionalDiscriminator(10, 4)
    z, y = torch.randn(6, 8), torch.arange(6)
    x_real = torch.rand(6, 1, 28, 28) * 2 - 1
    x_fake = G(z, y)
    with torch.no_grad():
        want = discriminator_loss(D(x_real, y), D(x_fake, y))
    out = d_step(D, torch.optim.SGD(D.parameters(), 0.0), x_real, x_fake, y, y)
    assert torch.isclose(out["loss_D"], want)
    with pytest.raises(TypeError):          # a conditional D without labels fails loudly
        d_step(D, torch.optim.SGD(D.parameters(), 0.0), x_real, x_fake)


def test_ema_follows_the_formula_with_its_warm_up():
    lin = nn.Linear(2, 1, bias=False)
    nn.init.zeros_(lin.weight)
    ema = EMA(lin, decay=0.9)
    with torch.no_grad():
        lin.weight.fill_(1.0)
    ema.update(lin)                          # t=1: decay min(0.9, 2/11)
    d = 2 / 11
    assert torch.allclose(ema.model.weight, torch.full((1, 2), 1 - d))
    ema.update(lin)                          # t=2: decay min(0.9, 3/12)
    d2 = 3 / 12
    assert torch.allclose(ema.model.weight, torch.full((1, 2), d2 * (1 - d) + (1 - d2)))
    assert not any(p.requires_grad for p in ema.model.parameters())
    with pytest.raises(ValueError, match="decay"):
        EMA(lin, decay=1.0)


def test_recalibrate_batchnorm_sets_the_mean_of_the_batches():
    torch.manual_seed(0)
    G = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    zs = [torch.randn(50, 3) for _ in range(4)]
    it = iter(zs)
    recalibrate_batchnorm(G, lambda: (next(it),), n_batches=4)
    with torch.no_grad():
        means = torch.stack([G[0](z).mean(0) for z in zs]).mean(0)
    assert torch.allclose(G[1].running_mean, means, atol=1e-5)
    assert not G.training and G[1].momentum == 0.1   # momentum restored
