"""The diffusion pieces of notebook 10 (models/ddpm.py, train/diffusion.py): the linear schedule's
values, q(x_t | x_0) against running the forward chain, the U-Net's shapes and checks, the loss,
and both samplers run with an exact ("oracle") noise predictor on a one-point data distribution,
where DDPM's last step and every DDIM step must land on the data (Ho et al. 2020; Song et al. 2021)."""
import pytest
import torch
from torch import nn

from gan_helpers.models.ddpm import DDPMUNet, timestep_embedding
from gan_helpers.train.diffusion import (Schedule, ddim_step, ddim_timesteps, ddpm_loss, linear_betas,
                                         p_sample_step, q_sample, sample_ddim, sample_ddpm)


def small_unet(**kw):
    torch.manual_seed(0)
    return DDPMUNet(**{**dict(base_channels=8, channel_mults=(1, 2), n_steps=20), **kw})


def oracle(c: torch.Tensor, schedule: Schedule):
    """The exact noise predictor when the data are the one image ``c``: x_t = sqrt(ab) c + sqrt(1 - ab) eps."""
    def eps(x, t):
        ab = schedule.alpha_bar[t].view(-1, 1, 1, 1)
        return (x - ab.sqrt() * c) / (1 - ab).sqrt()
    return eps


@pytest.fixture
def point():
    g = torch.Generator().manual_seed(1)
    return torch.rand(1, 1, 28, 28, generator=g) * 2 - 1     # the one "data" image


# --- the schedule and the forward process -------------------------------------------------------
def test_linear_schedule_values():
    s = Schedule(linear_betas())
    assert s.T == 1000 and s.betas.dtype == torch.float32
    assert s.betas[0].item() == pytest.approx(1e-4) and s.betas[-1].item() == pytest.approx(0.02)
    assert torch.allclose(s.alphas, 1 - s.betas)
    assert s.alpha_bar[0].item() == pytest.approx(1 - 1e-4, abs=1e-7)
    exact = torch.prod(1 - torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)).item()
    assert exact == pytest.approx(4.04e-5, rel=0.01)                    # almost pure noise at the end
    assert s.alpha_bar[-1].item() == pytest.approx(exact, rel=1e-4)
    assert bool((s.alpha_bar[1:] < s.alpha_bar[:-1]).all())
    moved = s.to("cpu")
    assert moved is not s and torch.equal(moved.alpha_bar, s.alpha_bar) and moved.T == 1000


@pytest.mark.parametrize("call, match", [
    (lambda: linear_betas(0), "T must be an int"),
    (lambda: linear_betas(10, 0.02, 1e-4), "start <= end"),
    (lambda: Schedule(torch.tensor([0.1, 1.0])), "in \\(0, 1\\)"),
    (lambda: Schedule(torch.zeros(2, 2) + 0.1), "1-D"),
])
def test_schedule_refuses_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_q_sample_closed_form_matches_running_the_chain():
    s = Schedule(linear_betas(40, 1e-3, 0.1))
    x0 = torch.tensor([-1.0, 0.0, 0.5, 1.0]).view(1, 4, 1, 1).expand(20000, 4, 1, 1)
    g = torch.Generator().manual_seed(0)
    t = 29
    x = x0.clone()
    for k in range(t + 1):                       # q(x_k | x_{k-1}) = N(sqrt(1 - beta_k) x_{k-1}, beta_k I)
        x = (1 - s.betas[k]).sqrt() * x + s.betas[k].sqrt() * torch.randn(x.shape, generator=g)
    closed = q_sample(x0, t, torch.randn(x0.shape, generator=g), s)
    ab = s.alpha_bar[t]
    for a in (x, closed):                        # both N(sqrt(ab) x0, (1 - ab) I), pixel by pixel
        assert torch.allclose(a.mean(0).flatten(), ab.sqrt() * x0[0].flatten(), atol=0.02)
        assert torch.allclose(a.std(0).flatten(), (1 - ab).sqrt().expand(4), atol=0.02)
    eps = torch.randn(3, 4, 1, 1, generator=g)
    assert torch.allclose(q_sample(x0[:3], torch.tensor([0, 5, 39]), eps, s),
                          s.alpha_bar[[0, 5, 39]].sqrt().view(3, 1, 1, 1) * x0[:3]
                          + (1 - s.alpha_bar[[0, 5, 39]]).sqrt().view(3, 1, 1, 1) * eps)
    with pytest.raises(ValueError, match="in \\[0, T=40\\)"):
        q_sample(x0[:3], 40, eps, s)
    with pytest.raises(ValueError, match="one shape"):
        q_sample(x0[:3], 0, eps[:2], s)


# --- the network ---------------------------------------------------------------------------------
def test_unet_shapes_size_and_the_step_matters():
    default = DDPMUNet()
    assert 500_000 < sum(p.numel() for p in default.parameters()) < 1_500_000
    assert default.config == dict(base_channels=32, channel_mults=[1, 2, 2], img_channels=1, n_steps=1000)
    model = small_unet()
    nn.init.normal_(model.head[-1].weight, std=0.1)   # the last conv starts at zero: make the output depend on t
    x = torch.randn(3, 1, 28, 28)
    with torch.no_grad():
        a, b = model(x, torch.tensor([0, 0, 0])), model(x, torch.tensor([19, 19, 19]))
    assert a.shape == (3, 1, 28, 28) and not torch.allclose(a, b)
    for mults in ([1], [1, 2], [1, 2, 2]):
        m = DDPMUNet(base_channels=8, channel_mults=mults, n_steps=5)
        assert m(torch.randn(2, 1, 28, 28), torch.tensor([0, 4])).shape == (2, 1, 28, 28)
    e = timestep_embedding(torch.tensor([0, 7]), 8)
    assert e.shape == (2, 8) and torch.equal(e[0], torch.tensor([0.0] * 4 + [1.0] * 4))


@pytest.mark.parametrize("call, match", [
    (lambda m: m(torch.randn(2, 1, 32, 32), torch.tensor([0, 1])), "28, 28"),
    (lambda m: m(torch.randn(2, 1, 28, 28), torch.tensor([0.0, 1.0])), "integer steps"),
    (lambda m: m(torch.randn(2, 1, 28, 28), torch.tensor([0])), "integer steps"),
    (lambda m: m(torch.randn(2, 1, 28, 28), torch.tensor([0, 20])), "in \\[0, 20\\)"),
    (lambda m: DDPMUNet(channel_mults=(1, 2, 2, 2)), "1 to 3"),
    (lambda m: DDPMUNet(base_channels=0), "base_channels"),
    (lambda m: DDPMUNet(channel_mults=(1, 0)), "channel_mults"),
])
def test_unet_refuses_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call(small_unet())


def test_ddpm_loss_is_finite_starts_near_one_and_reaches_every_weight():
    model, s = small_unet(), Schedule(linear_betas(20))
    x0 = torch.rand(8, 1, 28, 28) * 2 - 1
    loss = ddpm_loss(model, x0, s, torch.Generator().manual_seed(0))
    assert torch.isfinite(loss) and abs(loss.item() - 1) < 0.05   # zero output: E[eps^2] = 1
    assert loss.item() == ddpm_loss(model, x0, s, torch.Generator().manual_seed(0)).item()
    nn.init.normal_(model.head[-1].weight, std=0.1)   # past the zero start every weight gets a gradient
    ddpm_loss(model, x0, s, torch.Generator().manual_seed(0)).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())
    with pytest.raises(ValueError, match="built for T=20"):
        ddpm_loss(model, x0, Schedule(linear_betas(10)))


# --- the samplers, with the exact noise predictor ------------------------------------------------
def test_a_ddpm_step_is_the_true_posterior_mean_plus_beta_noise(point):
    s = Schedule(linear_betas(20, 1e-3, 0.2))
    eps = oracle(point, s)
    x_t = torch.randn(4, 1, 28, 28, generator=torch.Generator().manual_seed(2))
    for t in (19, 7, 1):
        ab, ab_prev, beta = s.alpha_bar[t], s.alpha_bar[t - 1], s.betas[t]
        mu = ab_prev.sqrt() * beta / (1 - ab) * point + s.alphas[t].sqrt() * (1 - ab_prev) / (1 - ab) * x_t  # eq. 7
        got = p_sample_step(eps, x_t, t, s, torch.Generator().manual_seed(3))
        z = torch.randn(x_t.shape, generator=torch.Generator().manual_seed(3))
        assert torch.allclose(got, mu + beta.sqrt() * z, atol=1e-5)
    # no noise at t = 0; float32 rounding: x_t - (x_t - sqrt(alpha) c) cancels, then is divided by sqrt(alpha)
    assert torch.allclose(p_sample_step(eps, x_t, 0, s), point.expand(4, -1, -1, -1), atol=2e-4)
    x = sample_ddpm(eps, 4, s, torch.Generator().manual_seed(4))     # the whole chain ends on the data
    assert x.shape == (4, 1, 28, 28) and torch.allclose(x, point.expand(4, -1, -1, -1), atol=2e-4)
    with pytest.raises(ValueError, match="t must be an int"):
        p_sample_step(eps, x_t, torch.tensor(3), s)


def test_ddim_with_the_exact_predictor_returns_x0_and_eta_0_is_deterministic(point):
    s = Schedule(linear_betas(50))
    eps = oracle(point, s)
    for steps in (1, 5, 50):
        x = sample_ddim(eps, 3, s, steps=steps, generator=torch.Generator().manual_seed(0))
        assert torch.allclose(x, point.expand(3, -1, -1, -1), atol=1e-4)
    assert torch.allclose(sample_ddim(eps, 3, s, steps=10, eta=1.0, generator=torch.Generator().manual_seed(0)),
                          point.expand(3, -1, -1, -1), atol=1e-4)
    model = small_unet(n_steps=50).eval()
    nn.init.normal_(model.head[-1].weight, std=0.1)
    x_T = torch.randn(2, 1, 28, 28)
    a = sample_ddim(model, 2, s, steps=4, generator=torch.Generator().manual_seed(1), x_T=x_T)
    b = sample_ddim(model, 2, s, steps=4, generator=torch.Generator().manual_seed(2), x_T=x_T)
    assert torch.equal(a, b)                  # eta = 0: the start fixes the image; other noise changes nothing
    c = sample_ddim(model, 2, s, steps=4, eta=1.0, generator=torch.Generator().manual_seed(2), x_T=x_T)
    assert not torch.allclose(a, c)


def test_ddim_timesteps_and_refusals():
    ts = ddim_timesteps(1000, 50)
    assert len(ts) == 50 and ts[0] == 999 and ts[-1] == 0 and all(a > b for a, b in zip(ts, ts[1:]))
    assert ddim_timesteps(1000, 1) == [999] and ddim_timesteps(10, 10) == list(range(9, -1, -1))
    s = Schedule(linear_betas(10))
    x = torch.zeros(2, 1, 28, 28)
    for call, match in [(lambda: ddim_timesteps(10, 0), "steps must be"),
                        (lambda: ddim_timesteps(10, 11), "steps must be"),
                        (lambda: ddim_step(oracle(x[:1], s), x, 3, 3, s), "t_prev < t"),
                        (lambda: ddim_step(oracle(x[:1], s), x, 3, 1, s, eta=-1), "eta must be"),
                        (lambda: sample_ddim(oracle(x[:1], s), 0, s, steps=5), "n must be"),
                        (lambda: sample_ddim(oracle(x[:1], s), 2, s, 5, x_T=torch.zeros(3, 1, 28, 28)), "x_T must"),
                        (lambda: sample_ddpm(small_unet(), 2, s), "built for T=20")]:
        with pytest.raises(ValueError, match=match):
            call()


def test_ddim_clip_x0_keeps_the_prediction_in_range_and_leaves_exact_predictions_alone():
    s = Schedule(linear_betas(50))
    x0 = torch.rand(3, 1, 28, 28) * 2 - 1
    x_T = torch.randn(3, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    exact = oracle(x0, s)
    assert torch.allclose(sample_ddim(exact, 3, s, steps=5, x_T=x_T, clip_x0=True),
                          sample_ddim(exact, 3, s, steps=5, x_T=x_T), atol=1e-4)
    wild = lambda x, t: torch.full_like(x, -50.0)          # predicts noise that puts x0_hat far out of range
    one = ddim_step(wild, x_T, 49, -1, s, clip_x0=True)    # straight to x_0: exactly the clipped x0_hat
    assert one.abs().max() <= 1 + 1e-5
    assert ddim_step(wild, x_T, 49, -1, s).abs().max() > 5


def test_ddpm_clip_x0_gives_the_posterior_mean_of_the_clipped_prediction():
    s = Schedule(linear_betas(50))
    x_t = torch.randn(3, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 3
    wild = lambda x, t: torch.full_like(x, -50.0)          # x0_hat far outside [-1, 1]
    t = 30
    ab, ab_prev, beta = s.alpha_bar[t], s.alpha_bar[t - 1], s.betas[t]
    x0_hat = ((x_t - (1 - ab).sqrt() * -50.0) / ab.sqrt()).clamp(-1, 1)
    mu = ab_prev.sqrt() * beta / (1 - ab) * x0_hat + s.alphas[t].sqrt() * (1 - ab_prev) / (1 - ab) * x_t  # eq. 7
    assert torch.allclose(p_sample_step(wild, x_t, t, s, clip_x0=True, generator=torch.Generator().manual_seed(1))
                          - beta.sqrt() * torch.randn(x_t.shape, generator=torch.Generator().manual_seed(1)),
                          mu, atol=1e-4)
    x0 = torch.rand(2, 1, 28, 28) * 2 - 1                  # an exact predictor is left alone
    exact = oracle(x0, s)
    g = lambda: torch.Generator().manual_seed(5)
    assert torch.allclose(sample_ddpm(exact, 2, s, g(), clip_x0=True), sample_ddpm(exact, 2, s, g()), atol=1e-3)
