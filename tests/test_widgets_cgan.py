"""Notebook 05 panel driven headlessly: class picker, style sliders, class-by-style grid."""
import pytest
import torch

from gan_helpers.models.cgan import ConditionalGenerator
from gan_helpers.widgets.cgan import ClassStylePanel, class_style_grid, style_directions


@pytest.fixture
def G():
    torch.manual_seed(0)
    return ConditionalGenerator(latent_dim=6, n_classes=10, base_channels=4).eval()


def test_grid_rows_are_digits_columns_share_z(G):
    z = torch.randn(3, 6)
    grid = class_style_grid(G, z=z)
    assert grid.shape == (30, 1, 28, 28)
    with torch.no_grad():
        assert torch.allclose(grid[4 * 3 + 2], G(z[2:3], torch.tensor([4]))[0], atol=1e-6)
    with pytest.raises(ValueError):
        class_style_grid(G, z=torch.randn(3, 5))


def test_style_directions_unit_and_sorted(G):
    dirs, gains = style_directions(G, k=3, n_samples=2)
    assert dirs.shape == (3, 6) and torch.allclose(dirs.norm(dim=1), torch.ones(3), atol=1e-5)
    assert (gains[:-1] >= gains[1:]).all()


def test_panel_digit_and_style(G):
    p = ClassStylePanel(G, directions=torch.eye(6)[:2], n_styles=4)
    p.digit.value = 7
    with torch.no_grad():
        assert torch.allclose(p.current_image, G(p.z_base[None], torch.tensor([7]))[0], atol=1e-6)
    assert p.styles_images.shape == (4, 1, 28, 28) and p.digits_images.shape == (10, 1, 28, 28)
    before = p.current_image.clone()
    p.style_sliders[1].value = 2.0
    assert torch.allclose(p.current_z, p.z_base + 2.0 * torch.eye(6)[1])
    assert not torch.allclose(before, p.current_image)
    assert torch.allclose(p.digits_images[7], p.current_image, atol=1e-6)  # same style, same digit
    with pytest.raises(ValueError):
        p.set_digit(10)
    with pytest.raises(ValueError):
        p.set_style(0, 9.0)
    old = p.z_base.clone()
    p.new_style.click()
    assert not torch.equal(old, p.z_base)


def test_panel_refuses_bad_values_and_ignores_a_nan_slider(G):
    p = ClassStylePanel(G, k=2, seed=0)
    with pytest.raises(ValueError, match="finite number"):
        p.set_style(0, float("nan"))
    before = p.image.value
    p.style_sliders[0].value = float("nan")
    assert p.image.value == before and "not a number" in p.info.value
    for kw, msg in ((dict(n_styles=0), "n_styles"), (dict(max_amount=float("nan")), "max_amount")):
        with pytest.raises(ValueError, match=msg):
            ClassStylePanel(G, k=2, seed=0, **kw)
    assert p.ui.children[0].layout.align_items == "flex-start"


def test_static_image_shows_both_rows(G):
    import io
    from PIL import Image
    p = ClassStylePanel(G, k=2, n_styles=4, directions=torch.eye(6)[:2])
    png = p.static_png(scale=1)
    assert png[:4] == b"\x89PNG"
    w, h = Image.open(io.BytesIO(png)).size
    assert w > 4 * h                                  # 11 tiles wide, 2 rows
    assert p.static_image(scale=1).data == png
