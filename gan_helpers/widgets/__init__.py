"""ipywidgets panels, one module per notebook topic (``bce``, ``toy``, ``latent``, ...).

Each panel is a small class that owns its sliders and computes its state in plain
methods, so tests can set a slider's value and assert on the result without a browser.
"""
