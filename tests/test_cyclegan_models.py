"""CycleGAN networks (Zhu et al. 2017): shapes, receptive field, gradient flow, one
training step of the recipe on tiny data, checkpoint round trip."""
import pytest
import torch

from gan_helpers.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from gan_helpers.models.cyclegan import CycleGAN, PatchDiscriminator, ResnetGenerator, receptive_field
from gan_helpers.train.pool import ImagePool
from gan_helpers.recipes.cyclegan import lr_factor, make_optimizers, train_step


@pytest.mark.parametrize("size,n_down", [(32, 2), (64, 2), (16, 1)])
def test_generator_keeps_the_shape_and_range(size, n_down):
    G = ResnetGenerator(3, 3, base_channels=4, n_down=n_down, n_blocks=1)
    y = G(torch.randn(2, 3, size, size))
    assert y.shape == (2, 3, size, size)
    assert y.abs().max() <= 1.0  # tanh output


def test_generator_channels_and_bad_input():
    G = ResnetGenerator(1, 3, base_channels=4, n_down=2, n_blocks=1)
    assert G(torch.randn(1, 1, 32, 32)).shape == (1, 3, 32, 32)
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        G(torch.randn(1, 3, 32, 32))
    with pytest.raises(ValueError, match="multiples of 4"):
        G(torch.randn(1, 1, 30, 30))


@pytest.mark.parametrize("n_layers,size,out", [(1, 32, 14), (2, 32, 6), (3, 256, 30), (2, 64, 14)])
def test_patch_discriminator_output_grid(n_layers, size, out):
    D = PatchDiscriminator(3, base_channels=4, n_layers=n_layers)
    assert D(torch.randn(2, 3, size, size)).shape == (2, 1, out, out)


def test_receptive_field_of_the_paper_patchgan_is_70():
    assert receptive_field(3) == 70
    assert receptive_field(2) == 34
    assert receptive_field(1) == 16


def test_receptive_field_matches_the_network():
    # The input pixels one output depends on span receptive_field(2) rows. Instance norm
    # mixes the whole image (its mean and std), so it is swapped out for this test.
    D = PatchDiscriminator(1, base_channels=2, n_layers=2)
    for i, layer in enumerate(D.net):
        if isinstance(layer, torch.nn.InstanceNorm2d):
            D.net[i] = torch.nn.Identity()
    x = torch.zeros(1, 1, 64, 64, requires_grad=True)
    D(x)[0, 0, 6, 6].backward()
    rows = torch.nonzero(x.grad[0, 0].abs().sum(1)).flatten()
    assert int(rows.max() - rows.min() + 1) <= receptive_field(2)
    assert int(rows.max() - rows.min() + 1) >= receptive_field(2) - 2  # padding trims at most the edges


def test_discriminator_refuses_too_small_images():
    with pytest.raises(ValueError, match="at least"):
        PatchDiscriminator(3, 4, n_layers=3)(torch.randn(1, 3, 16, 16))


def test_gradients_reach_every_parameter(device):
    m = CycleGAN(g_channels=4, n_down=2, n_blocks=1, d_channels=4, d_layers=2).to(device)
    a, b = torch.randn(2, 3, 32, 32, device=device), torch.randn(2, 3, 32, 32, device=device)
    loss = m.D_B(m.G_AB(a)).mean() + m.D_A(m.G_BA(b)).mean()
    loss.backward()
    missing = [n for n, p in m.named_parameters() if p.grad is None or p.grad.abs().sum() == 0]
    assert not missing, missing


def test_one_training_step_moves_all_four_networks_and_logs_every_term(device):
    torch.manual_seed(0)
    m = CycleGAN(g_channels=4, n_down=2, n_blocks=1, d_channels=4, d_layers=2).to(device)
    before = {k: v.clone() for k, v in m.state_dict().items()}
    opt_G, opt_D = make_optimizers(m)
    a, b = (torch.rand(2, 3, 32, 32) * 2 - 1).to(device), (torch.rand(2, 3, 32, 32) * 2 - 1).to(device)
    pool_A, pool_B = ImagePool(50), ImagePool(50)
    losses = train_step(m, opt_G, opt_D, a, b, pool_A, pool_B, 10.0, 0.5)
    assert set(losses) == {"G_gan_AB", "G_gan_BA", "cycle_A", "cycle_B", "identity_A", "identity_B",
                           "G_total", "D_A", "D_B"}
    assert all(torch.isfinite(torch.tensor(v)) for v in losses.values())
    expect = (losses["G_gan_AB"] + losses["G_gan_BA"] + 10 * (losses["cycle_A"] + losses["cycle_B"])
              + 5 * (losses["identity_A"] + losses["identity_B"]))
    assert abs(losses["G_total"] - expect) < 1e-4
    for net in ("G_AB", "G_BA", "D_A", "D_B"):
        key = f"{net}.net.0.weight" if net.startswith("D") else f"{net}.net.1.weight"
        assert not torch.equal(before[key], m.state_dict()[key]), net
    assert len(pool_A) == 2 and len(pool_B) == 2


def test_lr_factor_constant_then_linear_to_zero():
    assert [lr_factor(s, 10) for s in (0, 4, 5, 6, 10)] == [1.0, 1.0, 1.0, 0.8, 0.0]


def test_checkpoint_round_trip_and_wrong_architecture(tmp_path):
    m = CycleGAN(g_channels=4, n_down=1, n_blocks=1, d_channels=4, d_layers=1)
    path = tmp_path / "cg.safetensors"
    save_checkpoint(m, path, m.config)
    m2 = load_checkpoint(path, CycleGAN)
    x = torch.randn(1, 3, 16, 16)
    assert torch.allclose(m.eval().G_AB(x), m2.G_AB(x))
    with pytest.raises(CheckpointError, match="holds a"):
        load_checkpoint(path, ResnetGenerator)


def test_without_cycle_loss_only_the_adversarial_terms_train():
    torch.manual_seed(0)
    m = CycleGAN(g_channels=4, n_down=2, n_blocks=1, d_channels=4, d_layers=2)
    opt_G, opt_D = make_optimizers(m)
    a, b = torch.rand(2, 3, 32, 32) * 2 - 1, torch.rand(2, 3, 32, 32) * 2 - 1
    losses = train_step(m, opt_G, opt_D, a, b, ImagePool(5), ImagePool(5), lambda_cycle=0.0)
    assert losses["cycle_A"] > 0 and losses["cycle_B"] > 0          # still measured
    assert losses["identity_A"] == 0 and losses["identity_B"] == 0  # weight 0.5 * 0: skipped
    assert abs(losses["G_total"] - losses["G_gan_AB"] - losses["G_gan_BA"]) < 1e-5
