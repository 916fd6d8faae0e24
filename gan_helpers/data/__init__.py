"""Data for the course, each set cached under ``data/`` and seeded from a mirror folder when
one is given (notebooks 02-08):

* :mod:`~gan_helpers.data.toy2d`: a 1-D Gaussian and the 2-D ring and grid of Gaussians
  (notebooks 02 and 06);
* :mod:`~gan_helpers.data.mnist`: MNIST as one tensor on the device, batched by indexing
  (notebooks 03-06);
* :mod:`~gan_helpers.data.digits`: printed digits and colour domains for the digit CycleGAN,
  and :mod:`~gan_helpers.data.horse2zebra`: the horse2zebra photos (notebook 08);
* :mod:`~gan_helpers.data.cache`: the cache, the mirror and the errors that say which files
  go where.

Missing data raises :class:`MissingDataError` naming the files and where they go; there is
never a silent substitute.
"""
from .cache import CorruptDataError, MissingDataError, data_root, mirror_folder
from .digits import mnist_to_rgb32, paint_mnist, render_digits, rgb32_to_mnist
from .horse2zebra import ensure_horse2zebra, load_horse2zebra
from .mnist import batches, denormalize, ensure_mnist, load_mnist
from .toy2d import Mixture, grid, ring, sample_gaussian_1d

__all__ = ["CorruptDataError", "MissingDataError", "data_root", "mirror_folder",
           "mnist_to_rgb32", "paint_mnist", "render_digits", "rgb32_to_mnist",
           "ensure_horse2zebra", "load_horse2zebra",
           "batches", "denormalize", "ensure_mnist", "load_mnist",
           "Mixture", "grid", "ring", "sample_gaussian_1d"]
