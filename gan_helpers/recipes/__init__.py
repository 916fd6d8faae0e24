"""Reproducible training recipes behind the shipped weights (one module per model; notebooks
03-08 load what they ship).

Every recipe follows :mod:`gan_helpers.recipes.contract`: a ``Config`` dataclass
(commented defaults, ``None`` for "not set"), ``train(cfg)`` returning a ``RecipeResult``,
a fresh run folder by default and ``data/pretrained`` only with ``--ship``. Generator
recipes also hold ``load_pretrained(device)`` and ``generate(G, n, seed, device)``.
``python -m gan_helpers train NAME --field value`` runs one; the README records the
exact command behind each shipped file.

The three MNIST GAN recipes (``vanilla``, ``dcgan``, ``cgan``) share their skeleton in
:mod:`gan_helpers.recipes.mnist_gan`; ``games`` trains notebook 06's MNIST comparison;
``ddpm`` the denoising diffusion model that notebook 10 sets beside the GANs (its
``generate`` samples with DDIM).

``RECIPES`` is the table the command line uses; ``GENERATORS`` the recipes that can be
sampled with ``python -m gan_helpers sample``.
"""
from . import (cgan, classifier, cyclegan, dcgan, ddpm, digits_classifier, games, horse2zebra, photo_classifier,
               pix2pix, vanilla)

RECIPES = {
    "classifier": classifier,
    "digits_classifier": digits_classifier,
    "vanilla": vanilla,
    "dcgan": dcgan,
    "cgan": cgan,
    "games": games,
    "cyclegan": cyclegan,
    "horse2zebra": horse2zebra,
    "photo_classifier": photo_classifier,
    "pix2pix": pix2pix,
    "ddpm": ddpm,
}
GENERATORS = {name: RECIPES[name] for name in ("vanilla", "dcgan", "cgan", "games", "cyclegan", "horse2zebra",
                                                  "ddpm")}
