"""gan_helpers: the small helper package behind the GAN Notebooks collection.

Importing it, or any submodule, has no side effects: no downloads, no files written, no
device checks.

Vocabulary (the papers' names, used everywhere in the package and the notebooks):
  G, D                  generator and discriminator; D returns logits, never probabilities
  z, latent_dim         the noise vector G reads and its size
  x_real, x_fake        a batch of data and a batch of G(z)
  y, y_real, y_fake     class labels (conditional GAN): the real images' and the ones G is asked for
  G_AB, G_BA, D_A, D_B  CycleGAN's two generators (A -> B, B -> A) and two discriminators
  d_step, g_step        one update of D, one update of G (``train``)
  rng                   a ``torch.Generator`` (random numbers); "generator" alone always means G
  base_channels         the width c of a convolutional model (layers have c, 2c, 4c maps);
                        recipes set it as ``g_channels`` / ``d_channels``
  hidden                the list of hidden-layer sizes of a fully connected model
  width, depth          hidden units per layer and number of layers of notebook 02's toy MLPs
  .ui                   the ipywidgets box of a widget panel; a panel displays itself

Subpackages, by what the course teaches (each ``__init__`` re-exports its public names):
  data         the cache and its mirror, MNIST as one tensor, 2-D toy sets, printed digits,
               horse2zebra (notebooks 02-08)
  models       networks, one module per paper: mlp, dcgan, infogan, cgan, projection, cyclegan, toy,
               classifiers, shared blocks (notebooks 02-08)
  theory       closed forms of notebook 01 (optimal D, JSD) and notebook 06's distances
  stabilizers  Lipschitz controls and the four training games of notebook 06
  metrics      mode coverage, MNIST-FID and friends, photo-FID, KID (notebooks 02-08)
  latent       interpolation, principal directions, latent arithmetic (notebooks 03-05)
  train        the GAN step (d_step, g_step), EMA of G, History and GIFs, and the loops for
               the toy game, MNIST, critics and CycleGAN (notebooks 02-08)
  recipes      the reproducible recipes behind every shipped checkpoint (one contract)
  bench        speed figures and notebook 06's comparison (``python -m gan_helpers bench``)
  widgets      the interactive panels of notebooks 01-08
  checks       exercise checks that teach (one module per notebook)

Modules at the top level:
  device       seed, device choice, smoke mode (every notebook's setup cell)
  losses       BCE, GAN, least-squares, Wasserstein, cycle and identity losses (on logits)
  plotting     image grids, figures as PNG, curves, a live figure by display id
  checkpoints  safetensors checkpoints with config, sha256 and architecture checks
  student      learner versions of the notebooks (nbgrader markup)
"""

__version__ = "0.1.0"
