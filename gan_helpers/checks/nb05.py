"""Checks for notebook 05 (conditional GAN, Mirza and Osindero 2014): concatenating the
condition to z, building the conditional discriminator's input, and measuring whether the
generated class matches the requested one."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ._core import call, check, close, expect_tensor, passed


def check_condition_z(condition_z) -> bool:
    """``condition_z(z (N, D), y (N,), n_classes) -> (N, D + n_classes)``: [z, one-hot(y)]."""
    z = torch.randn(5, 8)
    y = torch.tensor([0, 3, 9, 3, 1])
    out = expect_tensor(call(condition_z, z, y, 10, name="condition_z"), name="condition_z(z, y, 10)")
    check(out.ndim == 2 and out.shape[0] == 5,
          f"got shape {tuple(out.shape)}: concatenate along dim=1 (features), not dim=0 (batch); expected (5, 18).")
    check(out.shape[1] != 9, "got 9 columns: the label was appended as one number. One-hot encode it "
                             "(F.one_hot(y, n_classes)) so every class gets its own input.")
    expect_tensor(out, (5, 18), name="condition_z(z, y, 10)")
    check(out.dtype == z.dtype, f"the result has dtype {out.dtype}; convert the one-hot to z's dtype (.float()).")
    check(close(out[:, :8], z), "the first 8 columns should be z unchanged (order: [z, one-hot]).")
    check(close(out[:, 8:], F.one_hot(y, 10).float()),
          "columns 8..17 should be the one-hot label: a single 1 in column 8 + y.")
    out2 = call(condition_z, torch.randn(3, 4), torch.tensor([0, 1, 2]), 3, name="condition_z")
    expect_tensor(out2, (3, 7), name="condition_z(z (3, 4), y, 3)")
    return passed("condition_z", "[z, one_hot(y)] with shape (N, latent_dim + n_classes)")


def check_discriminator_input(d_input) -> bool:
    """``d_input(x (N, C, H, W), y (N,), n_classes) -> (N, C + n_classes, H, W)``: the image
    with one constant plane per class (plane y all ones, the others zero)."""
    x = torch.randn(4, 1, 28, 28)
    y = torch.tensor([2, 0, 9, 2])
    out = expect_tensor(call(d_input, x, y, 10, name="d_input"), name="d_input(x, y, 10)")
    check(out.ndim == 4, f"got shape {tuple(out.shape)}: stack label planes onto the image channels -> (4, 11, 28, 28).")
    expect_tensor(out, (4, 11, 28, 28), name="d_input(x, y, 10)")
    check(close(out[:, :1], x), "channel 0 should be the image unchanged (order: [x, label planes]).")
    want = F.one_hot(y, 10).float()[:, :, None, None].expand(-1, -1, 28, 28)
    check(close(out[:, 1:], want), "channels 1..10 should be the one-hot label spread over the image: "
                                   "plane y all ones, the other planes all zeros, for each sample.")
    out2 = call(d_input, torch.randn(2, 3, 5, 6), torch.tensor([1, 0]), 2, name="d_input")
    expect_tensor(out2, (2, 5, 5, 6), name="d_input(x (2, 3, 5, 6), y, 2)")
    return passed("d_input", "[x, label planes] with shape (N, C + n_classes, H, W)")


def check_label_match(label_match) -> bool:
    """``label_match(logits (N, K), requested (N,)) -> (accuracy float, per_class (K,))``:
    how often the classifier's top class equals the requested label, overall and per class."""
    logits = torch.tensor([[5., 0, 0], [0, 5, 0], [5, 0, 0], [0, 0, 5], [0, 5, 0], [0, 5, 0]])
    requested = torch.tensor([0, 1, 1, 2, 1, 2])  # correct: 0, 1, 3, 4 -> 4/6; per class 1/1, 2/3, 1/2
    res = call(label_match, logits, requested, name="label_match")
    check(isinstance(res, tuple) and len(res) == 2, "return a tuple (accuracy, per_class).")
    acc, per_class = res
    acc = float(acc)
    check(abs(acc - 4 / 6) < 1e-6, f"accuracy is {acc:.4f}, expected {4 / 6:.4f}: the fraction of samples whose "
                                   "argmax over classes (dim=1) equals the requested label.")
    per_class = expect_tensor(torch.as_tensor(per_class, dtype=torch.float32), (3,), name="per_class")
    want = torch.tensor([1.0, 2 / 3, 0.5])
    check(close(per_class, want), f"per_class is {per_class.tolist()}, expected {want.tolist()}: for class k, "
                                  "the hits among samples that REQUESTED k, divided by how many requested k "
                                  "(not by N).")
    probs = torch.softmax(logits, 1)
    acc2, _ = call(label_match, probs, requested, name="label_match")
    check(abs(float(acc2) - 4 / 6) < 1e-6, "probabilities instead of logits should give the same accuracy.")
    return passed("label_match", "overall and per-class agreement of the classifier with the requested label")
