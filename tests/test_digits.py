"""The printed-digit renderer (domain B of notebook 08) and the MNIST <-> 3x32x32 views."""
import pytest
import torch

from gan_helpers.data.digits import glyph_masks, mnist_to_rgb32, render_digits, rgb32_to_mnist


def test_shape_range_and_types():
    x, y = render_digits(50, seed=0)
    assert x.shape == (50, 3, 32, 32) and x.dtype == torch.float32
    assert y.shape == (50,) and y.dtype == torch.int64
    assert x.min() >= -1 and x.max() <= 1
    assert set(y.tolist()) <= set(range(10))


def test_deterministic_with_a_seed():
    a, la = render_digits(40, seed=7)
    b, lb = render_digits(40, seed=7)
    c, lc = render_digits(40, seed=8)
    assert torch.equal(a, b) and torch.equal(la, lb)
    assert not torch.equal(a, c)


def test_given_labels_are_used():
    labels = torch.arange(10).repeat(3)
    _, y = render_digits(30, seed=1, labels=labels)
    assert torch.equal(y, labels)
    with pytest.raises(ValueError, match="labels"):
        render_digits(3, labels=torch.tensor([1, 2, 10]))
    with pytest.raises(ValueError, match="positive"):
        render_digits(0)
    with pytest.raises(ValueError, match="probability"):
        render_digits(2, neighbours=1.5)


def test_template_match_reads_the_rendered_digit():
    # Without rotation, scaling, neighbours, gradient or noise the ink of each image is a glyph mask: the best
    # matching mask over all fonts and sizes must show the label's digit.
    x, y = render_digits(200, seed=3, max_shift=0.0, max_degrees=0.0, neighbours=0.0, noise=0.0,
                         gradient=0.0, scale_range=(1.0, 1.0))
    corner = x[:, :, :1, :1]                                    # the background colour
    ink = (x - corner).abs().sum(1).flatten(1)                  # (N, 1024)
    bank = glyph_masks().flatten(2)                             # (styles, 10, 1024)
    ink = ink / ink.norm(dim=1, keepdim=True)
    bank = bank / bank.norm(dim=2, keepdim=True)
    scores = torch.einsum("np,sdp->nsd", ink, bank).amax(1)     # best style per digit: (N, 10)
    acc = (scores.argmax(1) == y).float().mean().item()
    assert acc >= 0.97, acc


def test_shipped_domain_B_classifier_reads_the_renders():
    from gan_helpers.models.classifier_digits import load_digit_classifier

    clf = load_digit_classifier()
    x, y = render_digits(500, seed=123_456)
    with torch.no_grad():
        acc = (clf(x).argmax(1) == y).float().mean().item()
    assert acc >= 0.97, acc


def test_mnist_views():
    x = torch.rand(4, 1, 28, 28) * 2 - 1
    big = mnist_to_rgb32(x)
    assert big.shape == (4, 3, 32, 32)
    assert torch.all(big[:, :, :2] == -1) and torch.all(big[:, :, :, -2:] == -1)  # black border
    assert torch.equal(big[:, 0], big[:, 2])
    assert torch.allclose(rgb32_to_mnist(big), x)
    with pytest.raises(ValueError, match="28, 28"):
        mnist_to_rgb32(torch.rand(4, 3, 28, 28))
    with pytest.raises(ValueError, match="32, 32"):
        rgb32_to_mnist(torch.rand(4, 3, 28, 28))


def test_paint_mnist_keeps_the_strokes_and_is_seeded():
    from gan_helpers.data.digits import paint_mnist

    x = -torch.ones(6, 1, 28, 28)
    x[:, :, 10:18, 12:16] = 1.0                                  # a bar of ink
    a, b, c = paint_mnist(x, seed=1), paint_mnist(x, seed=1), paint_mnist(x, seed=2)
    assert a.shape == (6, 3, 32, 32) and a.min() >= -1 and a.max() <= 1
    assert torch.equal(a, b) and not torch.equal(a, c)
    ink, paper = a[:, :, 14, 15], a[:, :, 3, 3]                  # centre of the bar vs a corner
    assert ((ink - paper).abs().sum(1) > 0.3).all()              # ink and background differ in colour
    assert (a[:, :, 14, 14] - a[:, :, 15, 14]).abs().max() < 0.3  # inside the bar: one colour (+ noise)
    with pytest.raises(ValueError, match="28, 28"):
        paint_mnist(torch.rand(2, 3, 32, 32))


def test_shipped_domain_B_reader_reads_painted_handwriting(mnist_mirror, monkeypatch):
    from gan_helpers.data.mnist import load_mnist
    from gan_helpers.data.digits import paint_mnist
    from gan_helpers.models.classifier_digits import load_digit_classifier

    monkeypatch.setenv("GAN_DATA_MIRROR", str(mnist_mirror))
    x, y = load_mnist(train=False, limit=500)
    with torch.no_grad():
        acc = (load_digit_classifier()(paint_mnist(x, seed=5)).argmax(1) == y).float().mean().item()
    assert acc >= 0.95, acc
