"""Training a GAN (notebooks 02-08): the pieces a training loop is made of and the loops the
recipes and widgets share.

* :mod:`~gan_helpers.train.step`: the alternating step ``d_step`` / ``g_step`` (notebooks 02-05
  write it by hand first);
* :mod:`~gan_helpers.train.average`: the averaged G (``EMA``; notebooks 03-06);
* :mod:`~gan_helpers.train.history`: ``History``, ``steps``, the GIF recorder;
* the loops: :mod:`~gan_helpers.train.toy` (the 2-D game, notebook 02),
  :mod:`~gan_helpers.train.mnist` (the MNIST GANs, notebooks 03-05),
  :mod:`~gan_helpers.train.critic` (the critic games, notebook 06),
  :mod:`~gan_helpers.train.cyclegan` with :mod:`~gan_helpers.train.pool` (notebook 08);
* :mod:`~gan_helpers.train.diffusion`: the DDPM schedule, loss and samplers (notebook 10;
  not a GAN, so nothing of it is re-exported here).

Functions that two loops name alike (``save_state``, ``make_optimizers``) are used from
their module: ``train.mnist.save_state``, ``train.cyclegan.make_optimizers``.
"""
from .average import EMA, recalibrate_batchnorm
from .critic import GameRun, critic_step, generator_step
from .history import GridRecorder, History, show_gif, steps
from .mnist import GANSchedule, averaged_generator, fit, generate_unconditional, lr_factor
from .pool import ImagePool
from .step import d_step, g_step
from .toy import ToyGAN, ToyGANConfig

__all__ = ["EMA", "recalibrate_batchnorm", "GameRun", "critic_step", "generator_step",
           "GridRecorder", "History", "show_gif", "steps",
           "GANSchedule", "averaged_generator", "fit", "generate_unconditional", "lr_factor",
           "ImagePool", "d_step", "g_step", "ToyGAN", "ToyGANConfig"]
