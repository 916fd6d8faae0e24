"""ipywidgets panels of notebooks 01-10, one module per topic: ``bce`` and ``optimal_d`` (01),
``toy`` (02), ``latent`` (03-05), ``dcgan`` and ``arithmetic`` (04), ``cgan`` (05), ``wgan`` (06),
``pix2pix`` (07), ``cyclegan`` (08), ``truncation`` (09), ``diffusion`` (10); ``figures`` draws the README's pictures from them
(``python -m gan_helpers figures``).

Each panel is a small class that owns its sliders and computes its state in plain
methods, so tests can set a slider's value and assert on the result without a browser.
"""
