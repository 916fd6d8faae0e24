"""Paired data for pix2pix (data/pairs.py; notebook 07): sRGB <-> CIE Lab against known values,
the colourisation pair (L -> ab) and its inverse, and the edge drawings."""
import pytest
import torch

from gan_helpers.data.pairs import (AB_SCALE, colour_pair, colour_to_rgb, edge_map, edges_pair, lab_to_rgb,
                                    rgb_to_lab)


def pixels(*rgb01):
    """Colours given in [0, 1] per channel -> a batch of 1x1 photos (N, 3, 1, 1) in [-1, 1]."""
    return torch.tensor(rgb01, dtype=torch.float64).view(-1, 3, 1, 1) * 2 - 1


def photos(n=3, size=16, seed=0):
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed)) * 2 - 1


# sRGB (D65) primaries in CIE Lab, the values every colour converter gives
@pytest.mark.parametrize("rgb, lab", [
    ((1, 1, 1), (100.0, 0.0, 0.0)),           # white
    ((0, 0, 0), (0.0, 0.0, 0.0)),             # black
    ((1, 0, 0), (53.24, 80.09, 67.20)),       # red
    ((0, 1, 0), (87.73, -86.18, 83.18)),      # green
    ((0, 0, 1), (32.30, 79.19, -107.86)),     # blue
    ((0.5, 0.5, 0.5), (53.39, 0.0, 0.0)),     # mid grey (sRGB 128): half the value is not half the lightness
])
def test_rgb_to_lab_known_values(rgb, lab):
    got = rgb_to_lab(pixels(rgb)).view(3)
    assert got.tolist() == pytest.approx(lab, abs=0.02)


def test_grey_has_no_colour_and_lightness_grows_with_value():
    grey = pixels(*[(v, v, v) for v in (0.0, 0.1, 0.3, 0.6, 0.9, 1.0)])
    lab = rgb_to_lab(grey).view(-1, 3)
    assert lab[:, 1:].abs().max() < 1e-3
    assert (lab[1:, 0] > lab[:-1, 0]).all()


def test_float32_photos_stay_float32_and_keep_their_shape():
    x = photos(2, 5).float()
    lab = rgb_to_lab(x)
    assert lab.dtype == torch.float32 and lab.shape == (2, 3, 5, 5)
    assert 0 <= lab[:, 0].min() and lab[:, 0].max() <= 100
    assert lab[:, 1:].abs().max() <= AB_SCALE  # ab / AB_SCALE stays within [-1, 1]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_round_trip_lab_to_rgb_of_rgb_to_lab(dtype):
    x = photos(4, 16).to(dtype)
    x[0, :, 0, :3] = torch.tensor([[-1.0, 1.0, -1.0], [-1.0, -1.0, 1.0], [-1.0, -1.0, -1.0]])  # black, green, blue
    assert (lab_to_rgb(rgb_to_lab(x)) - x).abs().max() < 1e-4


def test_lab_to_rgb_clips_colours_outside_srgb():
    lab = torch.tensor([50.0, 120.0, -120.0]).view(1, 3, 1, 1)  # more saturated than any sRGB colour
    out = lab_to_rgb(lab)
    assert torch.isfinite(out).all() and out.min() >= -1 and out.max() <= 1


def test_colour_pair_shapes_ranges_and_inverse():
    x = photos(3, 8)
    L, ab = colour_pair(x)
    assert L.shape == (3, 1, 8, 8) and ab.shape == (3, 2, 8, 8)
    assert L.min() >= -1 and L.max() <= 1 and ab.abs().max() <= 1
    assert torch.allclose(L, rgb_to_lab(x)[:, :1] / 50 - 1)
    assert (colour_to_rgb(L, ab) - x).abs().max() < 1e-4
    white, black = colour_pair(pixels((1, 1, 1), (0, 0, 0)).float())[0].view(2).tolist()
    assert white == pytest.approx(1, abs=1e-5) and black == pytest.approx(-1, abs=1e-5)


def test_colour_to_rgb_with_no_colour_is_grey():
    L, _ = colour_pair(photos(2, 4))
    grey = colour_to_rgb(L, torch.zeros(2, 2, 4, 4))
    assert (grey.max(1).values - grey.min(1).values).max() < 1e-4  # R = G = B
    assert torch.allclose(colour_pair(grey)[0], L, atol=1e-4)      # and the same lightness


def test_edge_map_shape_values_and_share():
    x = photos(2, 32)
    e = edge_map(x)
    assert e.shape == (2, 1, 32, 32) and e.dtype == x.dtype
    assert set(e.unique().tolist()) == {-1.0, 1.0}
    for share in (0.05, 0.12, 0.3):
        black = (edge_map(x, share) == -1).float().mean((1, 2, 3))  # per photo
        assert black.tolist() == pytest.approx([share, share], abs=0.01)
    edges, target = edges_pair(x)
    assert torch.equal(edges, e) and target is x


def test_edge_map_draws_a_step_and_leaves_flat_photos_white():
    x = -torch.ones(1, 3, 16, 16)
    x[..., 8:] = 1.0  # black left half, white right half: one vertical edge
    e = edge_map(x, share=0.1)
    cols = torch.nonzero(e[0, 0] == -1)[:, 1]
    assert len(cols) > 0 and cols.min() >= 6 and cols.max() <= 9   # only beside the step
    flat = edge_map(torch.zeros(1, 3, 8, 8))
    assert (flat == 1).all()   # no gradient anywhere: nothing is drawn


@pytest.mark.parametrize("fn", [rgb_to_lab, edge_map, colour_pair])
def test_photos_of_the_wrong_shape_are_refused(fn):
    with pytest.raises(ValueError, match=r"RGB photos \(N, 3, H, W\)"):
        fn(torch.zeros(2, 1, 8, 8))
    with pytest.raises(ValueError, match=r"\(3, 8, 8\)"):
        fn(torch.zeros(3, 8, 8))
    with pytest.raises(ValueError, match="list"):
        fn([[0.0]])


def test_other_bad_inputs_are_refused():
    with pytest.raises(ValueError, match=r"Lab images \(N, 3, H, W\)"):
        lab_to_rgb(torch.zeros(1, 2, 4, 4))
    with pytest.raises(ValueError, match="of one size"):
        colour_to_rgb(torch.zeros(1, 1, 4, 4), torch.zeros(1, 2, 8, 8))
    with pytest.raises(ValueError, match="of one size"):
        colour_to_rgb(torch.zeros(1, 2, 4, 4), torch.zeros(1, 2, 4, 4))
    with pytest.raises(ValueError, match="of one size"):
        colour_to_rgb(torch.zeros(2, 1, 4, 4), torch.zeros(1, 2, 4, 4))
    for share in (0, 1, -0.5):
        with pytest.raises(ValueError, match="share"):
            edge_map(photos(1, 8), share)
