"""The share of images a classifier reads as their labels: the test accuracy of the project's
classifiers (notebook 03's MNIST classifier, notebook 08's photo and digit readers) and the
classification accuracy score of notebook 09 (Ravuri and Vinyals 2019).
"""
from __future__ import annotations

import torch


@torch.no_grad()
def accuracy(clf: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1000) -> float:
    """Share of images ``x`` (N, C, H, W) classified as ``y`` (N,) (MNIST digits or photos)."""
    was = clf.training
    clf.eval()
    correct = sum(int((clf(x[i:i + batch_size]).argmax(1) == y[i:i + batch_size]).sum())
                  for i in range(0, len(x), batch_size))
    clf.train(was)
    return correct / len(x)
