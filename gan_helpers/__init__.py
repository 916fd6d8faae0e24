"""gan_helpers: the small helper package behind the GAN Notebooks collection.

Importing it has no side effects (no downloads, no device checks). Submodules:
``device`` (seed, device, smoke mode), ``data`` (MNIST cache and mirror),
``losses``, ``models``, ``training``, ``plotting``, ``widgets``, ``metrics``,
``checkpoints`` and ``checks`` (exercise checks).
"""

__version__ = "0.1.0"
