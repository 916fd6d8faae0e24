"""Recipe behind notebook 06's MNIST comparison and its shipped model: one of the four games
of :mod:`gan_helpers.stabilizers.games` (non-saturating GAN, WGAN with clipping, WGAN-GP, SN-GAN) trained on
MNIST with notebook 03's MLP generator for a number of G steps or a CPU-time budget, with an
average of G's weights (Yazici et al. 2019).

The critic is an MLP with neither dropout nor batch norm, whatever the game: the papers'
critics have neither (Arjovsky et al. 2017's MLP critic; Gulrajani et al. 2017 drop batch norm
because the penalty is per sample; Miyato et al. 2018's critics), and dropout would make
the critic a random function, which weakens what the penalty constrains and lifts the
spectral-norm bound. Only the game's loss, Lipschitz control and optimiser differ.

The game is spelled out by its fields (no names to look up), e.g. WGAN-GP:
``python -m gan_helpers train games --wasserstein true --gp-weight 10 --n-critic 5 --lr-D 1e-4
--lr-G 1e-4 --beta1 0 --beta2 0.9 --cpu-minutes 6 --threads 1``. A budgeted run records the G
steps it reached; the same command with ``--steps N --cpu-minutes none`` repeats it exactly.
``python -m gan_helpers bench games-mnist`` runs all four (``gan_helpers.bench.games``).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from ..data.mnist import batches
from ..stabilizers.games import Game, make_optimizers, prepare_critic
from ..train.critic import critic_step, generator_step
from ..train.mnist import averaged_generator, generate_unconditional
from .mnist_gan import MNISTGANConfig
from ..models.mlp import MLPDiscriminator, MLPGenerator
from ..train.average import EMA
from ..train.history import History, steps as repeat_steps
from .vanilla import parse_sizes

RUN_FILENAME = "mlp_G.safetensors"  # the averaged G of a run outside data/pretrained


def shipped_filename(game: str) -> str:
    """The shipped file of a game's MNIST G: 'WGAN-GP' -> 'mnist_mlp_wgan_gp_G.safetensors'."""
    slug = "".join(c if c.isalnum() else "_" for c in game.lower())
    while "__" in slug:
        slug = slug.replace("__", "_")
    return f"mnist_mlp_{slug.strip('_')}_G.safetensors"


@dataclass
class Config(MNISTGANConfig):
    steps: int = 200000          # upper bound on G steps (the CPU budget normally ends the run first)
    cpu_minutes: float | None = 6.0  # stop once this process has used this much CPU time (None: all steps)
    game: str = "NS GAN"         # the label written into the checkpoint and tables (does not select anything)
    wasserstein: bool = False    # critic loss E[D(fake)] - E[D(real)] instead of BCE on logits
    clip: float | None = None    # clamp critic weights to [-clip, clip] (WGAN: 0.01)
    gp_weight: float | None = None  # gradient-penalty lambda (WGAN-GP: 10)
    spectral_norm: bool = False  # spectral normalisation of D's layers (SN-GAN)
    n_critic: int = 1            # critic steps per G step
    rmsprop: bool = False        # RMSprop instead of Adam (WGAN with clipping)
    beta2: float = 0.999         # Adam beta2 (WGAN-GP: 0.9)
    latent_dim: int = 64         # size of z (as notebook 03)
    g_hidden: str = "256,512,1024"  # G's hidden sizes (Linear-BatchNorm-LeakyReLU)
    d_hidden: str = "512,256"    # D's hidden sizes (Linear-LeakyReLU; no batch norm, so GP is per sample)
    dropout: float = 0.0         # in D: none, as the papers' critics (notebook 03's D has 0.3)
    log_every: int = 2000


def fix_of(cfg: Config) -> Game:
    """The :class:`~gan_helpers.stabilizers.Game` that ``cfg`` describes."""
    return Game(cfg.game, cfg.wasserstein, cfg.clip, cfg.gp_weight, cfg.spectral_norm, cfg.n_critic,
               cfg.rmsprop, cfg.lr_D, cfg.lr_G, cfg.beta1, cfg.beta2)


def config_for(fix: Game, **changes) -> Config:
    """A Config that trains ``fix`` (other fields from ``changes`` or the defaults)."""
    return Config(game=fix.name, wasserstein=fix.wasserstein, clip=fix.clip, gp_weight=fix.gp_weight,
                  spectral_norm=fix.spectral_norm, n_critic=fix.n_critic, rmsprop=fix.rmsprop,
                  lr_D=fix.lr_D, lr_G=fix.lr_G, beta1=fix.beta1, beta2=fix.beta2, **changes)


def build(cfg: Config) -> tuple[MLPGenerator, MLPDiscriminator]:
    """G and D (with the game's spectral norm when asked) with the sizes in ``cfg``."""
    G = MLPGenerator(latent_dim=cfg.latent_dim, hidden=parse_sizes(cfg.g_hidden))
    D = MLPDiscriminator(hidden=parse_sizes(cfg.d_hidden), dropout=cfg.dropout)
    return G, prepare_critic(D, fix_of(cfg))


def fit(G, D, cfg: Config, x_all: torch.Tensor, rng: torch.Generator) -> tuple[History, EMA, int, float]:
    """Train until ``cfg.steps`` G steps or ``cfg.cpu_minutes`` of CPU time (counted from the end
    of the first step); returns (history, EMA of G, G steps run, CPU seconds).
    x_all: (N, 1, 28, 28) in [-1, 1]."""
    fix = fix_of(cfg)
    opt_G, opt_D = make_optimizers(G, D, fix)
    ema = EMA(G, cfg.ema_decay or 0.999)
    hist, device, n = History(), x_all.device, cfg.batch_size
    budget = None if cfg.cpu_minutes is None else 60.0 * cfg.cpu_minutes
    cpu0, wall0 = time.process_time(), time.perf_counter()
    real = repeat_steps(lambda: batches(x_all, batch_size=n, generator=rng), cfg.steps * fix.n_critic)
    G.train(), D.train()
    done = 0
    while done < cfg.steps and (budget is None or time.process_time() - cpu0 < budget):
        for _ in range(fix.n_critic):
            x_real = next(real)
            with torch.no_grad():
                x_fake = G(torch.randn(n, G.latent_dim, generator=rng).to(device))
            out = critic_step(D, opt_D, x_real, x_fake, fix, rng)
        loss_G = generator_step(D, opt_G, G(torch.randn(n, G.latent_dim, generator=rng).to(device)), fix)
        ema.update(G)
        done += 1
        if done == 1:  # the clock starts after the first step: its one-off imports are not training
            cpu0 = time.process_time()
        hist.log(loss_G=loss_G, **out)
        if not torch.isfinite(loss_G) or not torch.isfinite(out["loss_D"]):
            raise FloatingPointError(f"{fix.name}: training diverged at G step {done}")
        if cfg.log_every and done % cfg.log_every == 0:
            print(f"G step {done:6d}  loss_D {hist.last('loss_D', 100):.3f}  loss_G {hist.last('loss_G', 100):.3f}  "
                  f"W estimate {hist.last('w_estimate', 100):.3f}  {time.process_time() - cpu0:6.0f} CPU s "
                  f"({time.perf_counter() - wall0:.0f} s wall)", flush=True)
    return hist, ema, done, time.process_time() - cpu0


def train(cfg: Config):
    """Train one game; writes the averaged G (main file) and, unless shipping, the raw G (``_raw``) beside it."""
    from ..metrics.mnist import evaluate_generator
    from .contract import RecipeResult, command_of, output_path, prepare, run_info, save_model
    from ..data.mnist import load_mnist

    fix_of(cfg)  # checks the game's fields before any work
    if cfg.cpu_minutes is not None and not cfg.cpu_minutes > 0:
        raise ValueError(f"cpu_minutes must be positive or none, got {cfg.cpu_minutes}")
    path = output_path(cfg, "games", shipped_filename(cfg.game) if cfg.ship else RUN_FILENAME)
    torch.manual_seed(cfg.seed)
    G, D = build(cfg)
    device, rng = prepare(cfg)
    x_all, _ = load_mnist(train=True, device=device, limit=cfg.limit)
    G.to(device), D.to(device)
    t0 = time.perf_counter()
    hist, ema, done, cpu_s = fit(G, D, cfg, x_all, rng)
    seconds = time.perf_counter() - t0
    G.eval()
    avg = averaged_generator(ema, G, device, None)
    metrics = {}
    if cfg.eval_n:
        for which, model in (("raw", G), ("averaged", avg)):
            images, _ = generate_unconditional(model, cfg.eval_n, 0, device)
            r = evaluate_generator(images, n=cfg.eval_n)
            metrics[which] = {k: r[k] for k in ("n", "fid", "fid_floor", "covered", "confident")}
            print(f"{which:9s} G: MNIST-FID {r['fid']:.2f} | digits {r['covered']}/10 | confident {r['confident']:.1%}")
    exact = type(cfg)(**{**cfg.__dict__, "steps": done, "cpu_minutes": None, "out": None, "ship": False})
    info = run_info(cfg, "games", device, seconds, game=cfg.game, steps_run=done, cpu_seconds=round(cpu_s, 1),
                    critic_steps=done * cfg.n_critic, repeat=command_of(exact, "games"),
                    final_w_estimate=hist.last("w_estimate", 100), final_loss_G=hist.last("loss_G", 100))
    files = {"main": path}
    if not cfg.ship:  # a shipped run keeps only its averaged G (notebook 03's pair shows the raw one)
        files["raw"] = path.with_name(path.stem + "_raw" + path.suffix)
        save_model(G.cpu(), files["raw"], {**info, "averaged": False, "metrics": metrics.get("raw")})
    digest = save_model(avg.cpu().eval(), path, {**info, "averaged": True, "metrics": metrics.get("averaged"),
                                                 "raw_metrics": metrics.get("raw")}, torch.int8)
    print(f"{cfg.game}: {done} G steps in {cpu_s:.0f} CPU s ({seconds:.0f} s wall) on {device}")
    return RecipeResult(avg, path, digest, {**info, "metrics": metrics}, files)


def repeat_command(info: dict) -> str:
    """The command that repeats a run, from the ``info`` its checkpoint recorded. Files written
    before this recipe was renamed from ``fixes`` to ``games`` (the shipped ones: their bytes
    are kept) record the former name; the command comes back under today's name."""
    return info["repeat"].replace("gan_helpers train fixes ", "gan_helpers train games ")


def load_pretrained(device: str | torch.device = "cpu", raw: bool = False) -> MLPGenerator:
    """The shipped best model of notebook 06's MNIST table (its file is named for its game and
    recorded in data/games/results.json; sha256 checked), eval mode."""
    from ..checkpoints import load_pretrained as load
    shipped = load_results().get("shipped")
    if not shipped or "file" not in shipped:
        raise FileNotFoundError("no shipped model recorded in data/games/results.json: run "
                                "`python -m gan_helpers bench games-mnist`")
    name = shipped["file"]
    if raw:
        raise ValueError("only the best G of the shipped run is shipped, not a second one: notebook 03's "
                         "vanilla pair (recipes.vanilla.load_pretrained(raw=True)) shows raw against averaged")
    return load(name, MLPGenerator,
                map_location=device)


generate = generate_unconditional


def results_dir() -> Path:
    from ..checkpoints import pretrained_dir
    return pretrained_dir().parent / "games"


def load_results(path: str | Path | None = None) -> dict:
    """The stored results (``{"toy": [...], "mnist": [...]}``); empty lists when none yet."""
    path = Path(path) if path else results_dir() / "results.json"
    if not path.exists():
        return {"toy": [], "mnist": []}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON ({err}); delete it to re-run the benchmark") from None
