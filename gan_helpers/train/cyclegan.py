"""The CycleGAN update and its training plumbing, shared by both CycleGAN recipes
(Zhu et al. 2017, "Unpaired Image-to-Image Translation using Cycle-Consistent
Adversarial Networks"; notebook 08 writes the same step out cell by cell).

* ``train_step``: one update of both generators, then both discriminators (least-squares
  GAN loss, cycle and identity terms, discriminators fed from the history pools).
* ``make_optimizers``, ``lr_factor``: Adam for the generators together and for the
  discriminators together; the learning rate constant for the first half, then linear to 0.
* ``save_state`` / ``load_state``: everything a run needs to continue where it stopped
  (weights, both optimisers, both schedulers, both pools, the random generators and the
  step), so a long run can be trained in chunks (``recipes.horse2zebra --resume``).

The digit model (``recipes.cyclegan``) and the photo model (``recipes.horse2zebra``) call
the same ``train_step``: one game, two datasets.
"""
from __future__ import annotations

from pathlib import Path

import torch

from ..losses import cycle_loss, identity_loss, lsgan_discriminator_loss, lsgan_generator_loss
from ..models.cyclegan import CycleGAN
from .pool import ImagePool

STATE_FORMAT = "gan-notebooks-cyclegan-state/1"


def lr_factor(step: int, total_steps: int) -> float:
    """1 for the first half of training, then linearly down to 0 at ``total_steps``."""
    half = total_steps // 2
    if step < half:
        return 1.0
    return max(0.0, 1.0 - (step - half) / max(1, total_steps - half))


def train_step(model: CycleGAN, opt_G, opt_D, real_A: torch.Tensor, real_B: torch.Tensor,
               pool_A: ImagePool, pool_B: ImagePool, lambda_cycle: float = 10.0,
               lambda_identity: float = 0.5) -> dict[str, float]:
    """One CycleGAN update (generators, then discriminators); returns every loss term.

    Notebook 08 writes this same step out cell by cell.
    """
    G_AB, G_BA, D_A, D_B = model.G_AB, model.G_BA, model.D_A, model.D_B
    # --- generators: fool both discriminators, come back after a round trip, leave own domain alone
    fake_B = G_AB(real_A)
    fake_A = G_BA(real_B)
    loss_gan_AB = lsgan_generator_loss(D_B(fake_B))
    loss_gan_BA = lsgan_generator_loss(D_A(fake_A))
    with torch.set_grad_enabled(lambda_cycle > 0):  # with weight 0: only measured, not trained
        loss_cyc_A = cycle_loss(real_A, G_BA(fake_B))  # A -> B -> A
        loss_cyc_B = cycle_loss(real_B, G_AB(fake_A))  # B -> A -> B
    if lambda_cycle * lambda_identity > 0:
        loss_idt_A = identity_loss(real_B, G_AB(real_B))  # G_AB fed a B image should keep it
        loss_idt_B = identity_loss(real_A, G_BA(real_A))
    else:
        loss_idt_A = loss_idt_B = torch.zeros((), device=real_A.device)
    loss_G = (loss_gan_AB + loss_gan_BA + lambda_cycle * (loss_cyc_A + loss_cyc_B)
              + lambda_cycle * lambda_identity * (loss_idt_A + loss_idt_B))
    opt_G.zero_grad(set_to_none=True)
    loss_G.backward()
    opt_G.step()
    # --- discriminators: real vs fakes from the history pool (detached: no gradient into G)
    loss_D_A = lsgan_discriminator_loss(D_A(real_A), D_A(pool_A.query(fake_A)))
    loss_D_B = lsgan_discriminator_loss(D_B(real_B), D_B(pool_B.query(fake_B)))
    opt_D.zero_grad(set_to_none=True)
    (loss_D_A + loss_D_B).backward()
    opt_D.step()
    return {"G_gan_AB": loss_gan_AB.item(), "G_gan_BA": loss_gan_BA.item(), "cycle_A": loss_cyc_A.item(),
            "cycle_B": loss_cyc_B.item(), "identity_A": loss_idt_A.item(), "identity_B": loss_idt_B.item(),
            "G_total": loss_G.item(), "D_A": loss_D_A.item(), "D_B": loss_D_B.item()}


def make_optimizers(model: CycleGAN, lr: float = 2e-4, beta1: float = 0.5):
    """Adam for both generators together and for both discriminators together (as the reference code)."""
    opt_G = torch.optim.Adam(model.generators(), lr=lr, betas=(beta1, 0.999))
    opt_D = torch.optim.Adam(model.discriminators(), lr=lr, betas=(beta1, 0.999))
    return opt_G, opt_D


def _pool_state(pool: ImagePool) -> dict:
    return {"pool_size": pool.pool_size,
            "images": torch.cat(pool.images) if pool.images else torch.zeros(0)}


def _restore_pool(pool: ImagePool, state: dict) -> None:
    if state["pool_size"] != pool.pool_size:
        raise ValueError(f"the saved pool holds up to {state['pool_size']} images, this run's {pool.pool_size}")
    pool.images = [im.unsqueeze(0) for im in state["images"]] if state["images"].numel() else []


def save_state(path: str | Path, model: CycleGAN, opt_G, opt_D, scheds, pools: tuple[ImagePool, ImagePool],
               rng: torch.Generator, step: int, extra: dict | None = None) -> None:
    """Write the whole training state to ``path`` (a torch file of tensors and numbers only)."""
    path = Path(path)
    state = {"format": STATE_FORMAT, "config": dict(model.config), "step": step,
             "model": model.state_dict(), "opt_G": opt_G.state_dict(), "opt_D": opt_D.state_dict(),
             "scheds": [s.state_dict() for s in scheds], "pools": [_pool_state(p) for p in pools],
             "rng": rng.get_state(), "torch_rng": torch.get_rng_state(), "extra": extra or {}}
    tmp = path.with_suffix(path.suffix + ".part")
    torch.save(state, tmp)
    tmp.replace(path)  # never leave a half-written state behind if the process is killed


def load_state(path: str | Path, model: CycleGAN, opt_G, opt_D, scheds, pools: tuple[ImagePool, ImagePool],
               rng: torch.Generator) -> tuple[int, dict]:
    """Restore what ``save_state`` wrote into freshly built objects; returns (step, extra).

    Raises ValueError when the file is not a training state or belongs to another architecture.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no training state at {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)  # tensors and numbers: no code runs
    except Exception as err:
        raise ValueError(f"{path} is not a readable training state ({type(err).__name__}: {err})") from err
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
        raise ValueError(f"{path} is not a CycleGAN training state written by save_state")
    if state["config"] != dict(model.config):
        raise ValueError(f"{path} was saved from a CycleGAN with {state['config']}, "
                         f"but this run builds {dict(model.config)}: resume with the same sizes")
    model.load_state_dict(state["model"])
    opt_G.load_state_dict(state["opt_G"])
    opt_D.load_state_dict(state["opt_D"])
    for s, st in zip(scheds, state["scheds"]):
        s.load_state_dict(st)
    device = next(model.parameters()).device
    for p, st in zip(pools, state["pools"]):
        _restore_pool(p, {**st, "images": st["images"].to(device)})
    rng.set_state(state["rng"])
    torch.set_rng_state(state["torch_rng"])
    return int(state["step"]), state["extra"]
