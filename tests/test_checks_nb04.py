"""Notebook 04 exercise checks: pass the solution, fail the stub and plausible wrong answers."""
import pytest
from torch import nn

from gan_helpers.checks import CheckFailed
from gan_helpers.checks import nb04


def g_block(in_ch, out_ch):
    return nn.Sequential(nn.ConvTranspose2d(in_ch, out_ch, 4, 2, 1, bias=False), nn.BatchNorm2d(out_ch), nn.ReLU(True))


def d_block(in_ch, out_ch):
    return nn.Sequential(nn.Conv2d(in_ch, out_ch, 4, 2, 1, bias=False), nn.BatchNorm2d(out_ch), nn.LeakyReLU(0.2, True))


def weights_init(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def conv_transpose_out(size, kernel, stride=1, padding=0, output_padding=0):
    return (size - 1) * stride - 2 * padding + kernel + output_padding


def stub(*args, **kwargs):
    raise NotImplementedError()


def test_solutions_pass(capsys):
    assert nb04.check_g_block(g_block) and nb04.check_d_block(d_block)
    assert nb04.check_weights_init(weights_init) and nb04.check_conv_transpose_out(conv_transpose_out)
    assert capsys.readouterr().out.count("PASSED") == 4


@pytest.mark.parametrize("check", [nb04.check_g_block, nb04.check_d_block, nb04.check_weights_init,
                                   nb04.check_conv_transpose_out])
def test_stub_fails(check):
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        check(stub)


def test_wrong_blocks_fail():
    with pytest.raises(CheckFailed, match="pooling"):   # upsample + conv instead of a transposed conv
        nb04.check_g_block(lambda i, o: nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(i, o, 3, 1, 1),
                                                       nn.BatchNorm2d(o), nn.ReLU()))
    with pytest.raises(CheckFailed, match="LeakyReLU"):  # ReLU in D
        nb04.check_d_block(lambda i, o: nn.Sequential(nn.Conv2d(i, o, 4, 2, 1), nn.BatchNorm2d(o), nn.ReLU()))
    with pytest.raises(CheckFailed, match="BatchNorm2d"):  # no batch norm
        nb04.check_g_block(lambda i, o: nn.Sequential(nn.ConvTranspose2d(i, o, 4, 2, 1), nn.ReLU()))
    with pytest.raises(CheckFailed, match="shape"):      # kernel 3 gives 13, not 14
        nb04.check_g_block(lambda i, o: nn.Sequential(nn.ConvTranspose2d(i, o, 3, 2, 1), nn.BatchNorm2d(o), nn.ReLU()))


def test_wrong_init_fails():
    def std_02(m):  # std 0.2 instead of 0.02
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.2)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02); nn.init.zeros_(m.bias)

    def bn_zero(m):  # batch-norm scale drawn around 0
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.BatchNorm2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
    for wrong in (std_02, bn_zero):
        with pytest.raises(CheckFailed):
            nb04.check_weights_init(wrong)


def test_wrong_formula_fails():
    with pytest.raises(CheckFailed, match="torch gives"):  # the forward conv formula
        nb04.check_conv_transpose_out(lambda s, k, st=1, p=0, op=0: (s + 2 * p - k) // st + 1)
    with pytest.raises(CheckFailed, match="torch gives"):  # forgets the padding
        nb04.check_conv_transpose_out(lambda s, k, st=1, p=0, op=0: (s - 1) * st + k + op)
