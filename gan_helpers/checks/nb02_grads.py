"""What one training step did to the networks, for notebook 02's step checks
(:mod:`gan_helpers.checks.nb02`, the least-squares GAN of Mao et al. 2017): weights moved or not,
gradients left over or cleared, ``requires_grad`` left as it was, and whether a backward pass
reached a network at all (so "no backward", "zero_grad between backward and step" and "no
optimiser step" get different messages)."""
from __future__ import annotations

from contextlib import contextmanager

import torch

from ._core import CheckFailed


def _flat(m: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().ravel() for p in m.parameters()])


def _stale_grads(m: torch.nn.Module) -> None:
    """Fill .grad with leftovers from an earlier step, as a real training loop would have."""
    for p in m.parameters():
        p.grad = torch.full_like(p, 0.5)


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return bool(torch.allclose(a, b, atol=1e-6, rtol=1e-5))


def _no_grad_in(m: torch.nn.Module) -> bool:
    return all(p.grad is None or not p.grad.abs().any() for p in m.parameters())


def _flags(m: torch.nn.Module) -> list[bool]:
    return [p.requires_grad for p in m.parameters()]


def _check_flags(before: dict, name: str) -> None:
    """The step must leave every network trainable: a permanent ``requires_grad_(False)`` on the
    other network passes one step and breaks the next one."""
    for net, (m, flags) in before.items():
        if _flags(m) != flags:
            other = {"G": "the G step that follows could not train G. To keep G out of the D step, detach the "
                          "fakes (G(z).detach()) instead of freezing G.",
                     "D": "the next D step could not train D. The G step needs no freezing: only opt_G steps, "
                          "and D's own zero_grad clears the gradients this step leaves in D."}[net]
            raise CheckFailed(f"{name} left requires_grad switched off on {net}'s weights: {other} (If you switch "
                              "it off, switch it back on before returning.)")


@contextmanager
def _arrivals(m: torch.nn.Module):
    """Yield a set that gets ``True`` once a backward pass accumulates a gradient into ``m``'s
    weights (the step's .grad may be cleared again afterwards: this remembers that it came)."""
    seen: set = set()
    handles = [p.register_post_accumulate_grad_hook(lambda _p: seen.add(True)) for p in m.parameters()]
    try:
        yield seen
    finally:
        for h in handles:
            h.remove()


def _did_not_move(net: str, arrived: set, m: torch.nn.Module, loss: str, opt: str) -> CheckFailed:
    """Why ``net``'s weights did not change: no backward, zero_grad after it, or no step."""
    if not arrived:
        return CheckFailed(f"{net}'s parameters did not change and no gradient reached them: call {loss}.backward() "
                           f"and then {opt}.step().")
    if _no_grad_in(m):
        return CheckFailed(f"{net}'s parameters did not change: a gradient reached them, but it was gone when "
                           f"{opt}.step() ran. Call {opt}.zero_grad() before backward, not between backward and "
                           "step.")
    return CheckFailed(f"{net}'s parameters did not change: call {opt}.step() after {loss}.backward().")
