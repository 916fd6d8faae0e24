"""Notebook 10 panels driven headlessly: the forward process and the model's one-jump x0_hat over
the step t (Ho et al. 2020), and DDIM samples of one x_T at several step counts (Song et al. 2021),
with a tiny untrained U-Net of T = 20 steps (and the shipped DDPM for the redraw time and x0_hat)."""
import pytest
import torch
from torch import nn

from gan_helpers.models.ddpm import DDPMUNet
from gan_helpers.train.diffusion import Schedule, linear_betas, q_sample, sample_ddim
from gan_helpers.widgets.diffusion import NoisingPanel, StepsPanel, ddim_grids


@pytest.fixture
def model():
    """T = 20; the last conv (zero at the start) drawn at random so that eps_theta depends on x_t and t."""
    torch.manual_seed(0)
    m = DDPMUNet(base_channels=8, channel_mults=(1, 2), n_steps=20).eval()
    nn.init.normal_(m.head[-1].weight, std=0.1)
    return m


@pytest.fixture
def x0():
    return torch.rand(8, 1, 28, 28, generator=torch.Generator().manual_seed(1)) * 2 - 1


@pytest.fixture
def x_T():
    return torch.randn(16, 1, 28, 28, generator=torch.Generator().manual_seed(2))


def test_noising_rows_follow_the_closed_form(model, x0):
    p = NoisingPanel(model, x0, seed=3)
    s = Schedule(linear_betas(20))
    assert torch.equal(p.eps, torch.randn(8, 1, 28, 28, generator=torch.Generator().manual_seed(3)))
    p.set_t(7)
    assert p.t.value == 7 and p.x_t.shape == p.x0_hat.shape == (8, 1, 28, 28)
    assert torch.allclose(p.x_t, q_sample(x0, 7, p.eps, s))
    ab = s.alpha_bar[7]
    with torch.no_grad():
        eps_theta = model(p.x_t, torch.full((8,), 7))
    x0_hat = ((p.x_t - (1 - ab).sqrt() * eps_theta) / ab.sqrt()).clamp(-1, 1)
    assert torch.allclose(p.x0_hat, x0_hat, atol=1e-5) and p.x0_hat.abs().max() <= 1
    assert p.scores["t"] == 7 and p.scores["alpha_bar"] == pytest.approx(float(ab))
    assert p.scores["mse_eps"] == pytest.approx(float(((eps_theta - p.eps) ** 2).mean()), rel=1e-4)
    assert p.scores["mse_x0"] == pytest.approx(float(((x0_hat - x0) ** 2).mean()), rel=1e-4)
    share = float(ab) * float(x0.var()) / (float(ab) * float(x0.var()) + 1 - float(ab))
    assert p.scores["signal_share"] == pytest.approx(share)
    assert p.last_ms > 0 and "t = 7" in p.info.value and " ms" in p.info.value


def test_moving_t_changes_x_t_and_t_0_is_almost_x0(model, x0):
    p = NoisingPanel(model, x0)
    p.set_t(0)
    # sqrt(1 - alpha_bar_0) = sqrt(1e-4): x_t is x0 up to a hundredth of the noise
    assert (p.x_t - x0).abs().max() <= 0.0101 * p.eps.abs().max()
    assert p.scores["signal_share"] > 0.999
    before, png, scores = p.x_t, p.x_t_image.value, dict(p.scores)
    p.t.value = 19                              # the slider itself redraws: no set_t needed
    assert not torch.allclose(p.x_t, before) and p.x_t_image.value != png and p.x_t_image.value[:4] == b"\x89PNG"
    assert p.scores["alpha_bar"] < scores["alpha_bar"] and p.scores["signal_share"] < scores["signal_share"]
    assert p.x0_image.value == grid_of(p, x0)   # the real row does not move
    p.set_t(0)
    assert torch.equal(p.x_t, before)           # one eps for every t: t = 0 again is the same picture


def grid_of(p, images):
    from gan_helpers.plotting import grid_png
    return grid_png(images, nrow=8, scale=p.scale)


def test_pictures_keep_their_png_size(model, x0):
    p = NoisingPanel(model, x0[:3], scale=2)
    width = int.from_bytes(p.x_t_image.value[16:20], "big")
    assert width == 2 * (3 * 30 + 2) and p.x_t_image.layout.width == f"{width}px"
    assert p.t.max == 19 and p.t.step == 10
    tiny = DDPMUNet(base_channels=8, channel_mults=(1,), n_steps=4)
    assert NoisingPanel(tiny, x0[:2]).t.step == 3   # the step grid shrinks with T


def test_steps_panel_grids_are_ddim_with_clipping(model, x_T):
    steps = (20, 2, 5, 1)
    p = StepsPanel(model, x_T, steps=steps)
    s = Schedule(linear_betas(20))
    assert p.steps == (1, 2, 5, 20) and sorted(p.grids) == [1, 2, 5, 20]
    for k in p.steps:
        want = sample_ddim(model, 16, s, k, x_T=x_T, clip_x0=True).clamp(-1, 1)
        assert p.grids[k].shape == (16, 1, 28, 28) and torch.equal(p.grids[k], want)
    again = ddim_grids(model, x_T, [5, 2], s)
    assert sorted(again) == [2, 5] and torch.equal(again[5], p.grids[5])
    assert float(p.differences[20].abs().max()) == 0      # the largest count against itself
    assert not torch.equal(p.grids[1], p.grids[20])


def test_steps_slider_swaps_the_precomputed_pictures(model, x_T):
    p = StepsPanel(model, x_T, steps=(1, 4, 20))
    assert p.k == 1 and "DDIM, 1 network evaluations per sample" in p.info.value
    png, diff = p.image.value, p.diff_image.value
    p.set_steps(4)
    assert p.steps_slider.value == 4 and p.image.value != png and p.diff_image.value != diff
    assert "DDIM, 4 network evaluations per sample" in p.info.value and p.last_ms >= 0
    p.steps_slider.value = 20
    assert p.image.value == grid_of(p, p.grids[20])
    assert len(p.ui.children) == 4
    assert len(StepsPanel(model, x_T[:4], steps=(2,), show_difference=False).ui.children) == 3


def test_bad_input_is_refused(model, x0, x_T):
    s10 = Schedule(linear_betas(10))
    cases = [(lambda: NoisingPanel(model, x0[:, 0]), "x0 must be a tensor \\(N, 1, 28, 28\\) in \\[-1, 1\\]"),
             (lambda: NoisingPanel(model, x0.numpy()), "x0 must be a tensor"),
             (lambda: NoisingPanel(model, x0[:0]), "N >= 1"),
             (lambda: NoisingPanel(model, 3 * x0), "x0 must lie in \\[-1, 1\\]"),
             (lambda: NoisingPanel(model, x0.repeat(3, 1, 1, 1)[:17]), "holds 17 images; .* at most 16"),
             (lambda: NoisingPanel(model, torch.full_like(x0, float("nan"))), "NaN"),
             (lambda: NoisingPanel(model, x0, s10), "built for T=20 steps, the schedule has T=10"),
             (lambda: NoisingPanel(lambda x, t: x, x0), "n_steps"),
             (lambda: NoisingPanel(model, x0, seed=-1), "seed"),
             (lambda: NoisingPanel(model, x0, schedule="linear"), "schedule must be"),
             (lambda: StepsPanel(model, x_T, steps=()), "steps is empty"),
             (lambda: StepsPanel(model, x_T, steps=(5, 21)), "in \\[1, T=20\\]"),
             (lambda: StepsPanel(model, x_T, steps=(0, 5)), "in \\[1, T=20\\]"),
             (lambda: StepsPanel(model, x_T, steps=(2.5,)), "in \\[1, T=20\\]"),
             (lambda: StepsPanel(model, x_T, steps=5), "sequence of ints"),
             (lambda: StepsPanel(model, x_T, schedule=s10), "built for T=20"),
             (lambda: StepsPanel(model, torch.cat([x_T, x_T[:1]]), steps=(2,)), "holds 17 images"),
             (lambda: StepsPanel(model, x_T[:, :, :14], steps=(2,)), "x_T must be a tensor"),
             (lambda: ddim_grids(model, x_T, (2,), s10), "built for T=20"),
             (lambda: ddim_grids(model, x_T, []), "empty")]
    for call, match in cases:
        with pytest.raises(ValueError, match=match):
            call()
    p = NoisingPanel(model, x0)
    for bad in (20, -1, 2.5, True, "3"):
        with pytest.raises(ValueError, match="t must be an int step in \\[0, 19\\]"):
            p.set_t(bad)
    q = StepsPanel(model, x_T[:2], steps=(1, 2))
    for bad in (3, 0, 2.0, True):
        with pytest.raises(ValueError, match="one of the precomputed counts \\(1, 2\\)"):
            q.set_steps(bad)


def test_shipped_model_jumps_back_from_small_t_within_the_redraw_budget():
    """Measured (8 test digits, seed 0, one CPU thread): MSE(x0_hat, x0) 0.0002 at t = 10, 0.074 at
    t = 400, 0.58 at t = 999; a redraw 17-27 ms. The budget of a slider step is 300 ms."""
    from gan_helpers.data.mnist import load_mnist
    from gan_helpers.recipes import ddpm

    x0, _ = load_mnist(train=False, limit=8)
    p = NoisingPanel(ddpm.load_pretrained(), x0)
    assert p.T == 1000 and p.t.max == 999
    times = []
    for t in (10, 20, 400, 999, 10):
        p.set_t(t)
        times.append(p.last_ms)
        if t == 10:
            assert p.scores["mse_x0"] < 0.005 and (p.x0_hat - x0).abs().mean() < 0.02
    assert sorted(times)[2] < 300, times
