"""gan_helpers: the small helper package behind the GAN Notebooks collection.

Importing it, or any submodule, has no side effects: no downloads, no files written, no
device checks.

Vocabulary (the papers' names, used everywhere in the package and the notebooks):
  G, D                  generator and discriminator; D returns logits, never probabilities
  z, latent_dim         the noise vector G reads and its size
  x_real, x_fake        a batch of data and a batch of G(z)
  y, y_real, y_fake     class labels (conditional GAN): the real images' and the ones G is asked for
  G_AB, G_BA, D_A, D_B  CycleGAN's two generators (A -> B, B -> A) and two discriminators
  d_step, g_step        one update of D, one update of G (``training``)
  rng                   a ``torch.Generator`` (random numbers); "generator" alone always means G
  base_channels         the width c of a convolutional model (layers have c, 2c, 4c maps);
                        recipes set it as ``g_channels`` / ``d_channels``
  hidden                the list of hidden-layer sizes of a fully connected model
  width, depth          hidden units per layer and number of layers of notebook 02's toy MLPs
  .ui                   the ipywidgets box of a widget panel; a panel displays itself

Submodules:
  device            seed, device choice, smoke mode (every notebook's setup cell)
  data              MNIST cache, mirror seeding, one-tensor loading and indexed batches
  horse2zebra       the horse2zebra photos: cache, mirror seeding, loading
  digits            printed-digit renderer and colour domains for the digit CycleGAN
  losses            BCE, GAN, least-squares, cycle and identity losses (on logits)
  theory            closed forms of notebook 01 (optimal D, JS divergence)
  toy               2-D toy data, mode coverage and ToyGAN (notebook 02)
  training          the library's GAN step (d_step, g_step), EMA of G, History, GIFs
  mnist_loop        the training loop and skeleton the MNIST GAN recipes share
  models            networks: mlp, dcgan, cgan, cyclegan, toy, classifiers, shared blocks
  recipes           the reproducible recipes behind every shipped checkpoint (one contract)
  checkpoints       safetensors checkpoints with config, sha256 and architecture checks
  metrics           MNIST-FID, class coverage, confident share, label accuracy
  latent            interpolation (lerp, slerp) and principal directions in z
  latent_arithmetic mean latents and analogies (notebook 04)
  pool              CycleGAN's image pool of past fakes
  plotting          image grids, figures as PNG, curves, a live figure by display id
  widgets           the interactive panels of notebooks 01-07
  checks            exercise checks that teach (one module per notebook)
  student           learner versions of the notebooks (nbgrader markup)
  bench, bench_train  speed figures (``python -m gan_helpers bench``)
"""

__version__ = "0.1.0"
