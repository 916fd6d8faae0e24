"""LatentExplorer driven headlessly: set slider values, check z and the image."""
import time

import pytest
import torch

from gan_helpers.latent.space import slerp
from gan_helpers.models.mlp import MLPGenerator
from gan_helpers.widgets.latent import LatentExplorer


@pytest.fixture(scope="module")
def G():
    torch.manual_seed(0)
    return MLPGenerator(latent_dim=8, hidden=[32, 64]).eval()


def test_sliders_move_z_and_regenerate_the_image(G):
    p = LatentExplorer(G, k=3, seed=1)
    assert len(p.direction_sliders) == 3 and p.directions.shape == (3, 8)
    assert torch.allclose(p.current_z, p.z_a)
    img0 = p.current_image.clone()
    assert img0.shape == (1, 28, 28)
    p.direction_sliders[0].value = 2.0
    assert torch.allclose(p.current_z, p.z_a + 2.0 * p.directions[0], atol=1e-6)
    assert not torch.allclose(p.current_image, img0)
    with torch.no_grad():
        assert torch.allclose(p.current_image, G(p.current_z[None])[0], atol=1e-6)
    assert p.image.value[:4] == b"\x89PNG"
    p.reset()
    assert torch.allclose(p.current_image, img0, atol=1e-6)


def test_interpolation_slider_and_path_mode(G):
    p = LatentExplorer(G, k=2, seed=2)
    p.t_slider.value = 1.0
    assert torch.allclose(p.current_z, p.z_b, atol=1e-5)
    p.t_slider.value = 0.5
    assert torch.allclose(p.current_z, slerp(p.z_a, p.z_b, 0.5), atol=1e-6)
    p.mode.value = "lerp"
    assert torch.allclose(p.current_z, (p.z_a + p.z_b) / 2, atol=1e-6)
    assert p.path_images.shape == (p.n_path, 1, 28, 28)
    # The lerp path dips in norm in the middle; the slerp path does not.
    assert p.path_norms[p.n_path // 2] < min(p.path_norms[0], p.path_norms[-1])
    old_b = p.z_b.clone()
    p.resample("B")
    assert not torch.equal(p.z_b, old_b)


def test_each_move_is_fast_on_cpu(G):
    p = LatentExplorer(G, k=4)
    t0 = time.perf_counter()
    for v in (-1.0, 0.0, 1.5):
        p.direction_sliders[1].value = v
    assert (time.perf_counter() - t0) / 3 < 0.5
    assert p.last_render_s < 0.5


def test_generic_callable_and_bad_values(G):
    # A conditional-style G wrapped in a function: latent_dim must then be given.
    p = LatentExplorer(lambda z: G(z), latent_dim=8, k=2, directions=torch.eye(8)[:2])
    p.set_direction(1, -2.5)
    assert torch.allclose(p.current_z, p.z_a - 2.5 * torch.eye(8)[1])
    with pytest.raises(ValueError, match="amount must be in"):
        p.set_direction(0, 10.0)
    with pytest.raises(ValueError, match="direction index"):
        p.set_direction(2, 0.0)
    with pytest.raises(ValueError, match="t must be in"):
        p.set_t(1.5)
    with pytest.raises(ValueError, match="latent_dim"):
        LatentExplorer(lambda z: G(z), k=2)
    with pytest.raises(ValueError, match="directions must be"):
        LatentExplorer(G, directions=torch.eye(3))
    with pytest.raises(ValueError, match="'A' or 'B'"):
        p.resample("C")


def test_bad_values_are_refused_and_a_nan_slider_draws_nothing(G):
    p = LatentExplorer(G, k=2, seed=1)
    for bad in (float("nan"), float("inf"), "1"):
        with pytest.raises(ValueError, match="finite number"):
            p.set_direction(0, bad)
    with pytest.raises(ValueError, match="finite number"):
        p.set_t(float("nan"))
    before = p.image.value
    p.direction_sliders[0].value = float("nan")          # a slider set directly
    assert p.image.value == before and "not a number" in p.info.value
    assert torch.isfinite(p.current_image).all()
    for kw, msg in ((dict(n_path=0), "n_path"), (dict(n_path=1), "n_path"), (dict(max_amount=float("nan")), "max_amount"),
                    (dict(max_amount=0), "max_amount"), (dict(scale=0), "scale")):
        with pytest.raises(ValueError, match=msg):
            LatentExplorer(G, k=2, seed=1, **kw)


def test_header_has_no_nan_gains_when_directions_are_given(G):
    p = LatentExplorer(G, directions=torch.eye(8)[:2])
    assert "nan" not in p.ui.children[1].value
    assert p.ui.children[0].layout.align_items == "flex-start"   # the image is not stretched by the row


def test_static_image_is_the_current_view_as_png(G):
    from PIL import Image
    import io
    p = LatentExplorer(G, k=2, seed=1, n_path=5)
    p.set_direction(0, 1.0)
    png = p.static_png(scale=2)
    assert png[:4] == b"\x89PNG"
    w, h = Image.open(io.BytesIO(png)).size
    assert w > 5 * h                                  # one row: current image + 5 path images
    assert p.static_image().data == p.static_png()
    with pytest.raises(ValueError, match="scale"):
        p.static_png(scale=0)
