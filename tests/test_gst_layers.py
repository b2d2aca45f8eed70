"""Block-circulant and masked layers, mask builders, schedules and the reward-aware controller."""

import itertools

import numpy as np
import pytest
import torch

from gst_train import masks as M
from gst_train.controller import RewardAwareTarget
from gst_train.layers import CompressedLinear, expand_bc, project_bc


def _explicit_bc(vec: torch.Tensor, out_f: int, in_f: int) -> torch.Tensor:
    ob, ib, b = vec.shape
    W = torch.zeros(ob * b, ib * b, dtype=vec.dtype)
    for p in range(ob):
        for q in range(ib):
            for i in range(b):
                for j in range(b):
                    W[p * b + i, q * b + j] = vec[p, q, (i - j) % b]
    return W[:out_f, :in_f]


@pytest.mark.parametrize("out_f,in_f,b", [(8, 8, 4), (10, 7, 4), (6, 17, 8)])
def test_bc_forward_equals_expanded_dense_matrix(out_f, in_f, b):
    torch.manual_seed(0)
    layer = CompressedLinear(in_f, out_f)
    layer.to_bc(b)
    W = _explicit_bc(layer.bc_vec.detach(), out_f, in_f)
    x = torch.randn(5, in_f)
    assert torch.allclose(layer(x), x @ W.T + layer.bias, atol=1e-6)


def test_bc_gradient_check():
    torch.manual_seed(1)
    b = 4
    vec = torch.randn(3, 2, b, dtype=torch.float64, requires_grad=True)
    x = torch.randn(5, 7, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda v: x @ expand_bc(v, 10, 7).T, (vec,))
    # And the gradient is the sum of dL/dW over each vector entry's positions.
    W = expand_bc(vec, 10, 7)
    gW = torch.randn_like(W)
    (gv,) = torch.autograd.grad(W, vec, gW)
    manual = torch.zeros_like(vec)
    for p in range(3):
        for q in range(2):
            for i in range(b):
                for j in range(b):
                    r, c = p * b + i, q * b + j
                    if r < 10 and c < 7:
                        manual[p, q, (i - j) % b] += gW[r, c]
    assert torch.allclose(gv, manual)


@pytest.mark.parametrize("lead,out_f,in_f,b", [((), 10, 7, 4), ((2,), 256, 23, 8), ((2, 3), 9, 9, 3)])
def test_projection_is_the_exact_adjoint_of_expansion(lead, out_f, in_f, b):
    """project_bc (the gradient the hand-written update uses) equals autograd through expand_bc, batched too."""
    torch.manual_seed(2)
    ob, ib = -(-out_f // b), -(-in_f // b)
    vec = torch.randn(*lead, ob, ib, b, dtype=torch.float64, requires_grad=True)
    W = expand_bc(vec, out_f, in_f)
    gW = torch.randn_like(W)
    (gv,) = torch.autograd.grad(W, vec, gW)
    assert project_bc(gW, b).shape == gv.shape
    assert torch.allclose(project_bc(gW, b), gv)
    assert torch.allclose(project_bc(gW.transpose(-1, -2).contiguous().transpose(-1, -2), b), gv)  # strided dW


@pytest.mark.parametrize("lead,out_f,in_f,b", [((), 10, 7, 4), ((2,), 256, 23, 8), ((2, 3), 9, 9, 3),
                                                ((2,), 256, 256, 4), ((1,), 6, 17, 8), ((), 3, 2, 4)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_compiled_expansion_equals_the_indexed_one_bit_for_bit(lead, out_f, in_f, b, dtype):
    """The no-autograd path (gst_train.circulant's compiled loop) and the autograd path (index_select) give the
    same weights exactly, padding cropped, for full and edge blocks; strided inputs too."""
    torch.manual_seed(3)
    ob, ib = -(-out_f // b), -(-in_f // b)
    vec = torch.randn(*lead, ob, ib, b, dtype=dtype)
    indexed = expand_bc(vec.clone().requires_grad_(True), out_f, in_f).detach()
    assert torch.equal(expand_bc(vec, out_f, in_f), indexed)
    if out_f * in_f < 1000:  # and both are the definition, written out
        for v, w in zip(vec.reshape(-1, ob, ib, b), indexed.reshape(-1, out_f, in_f), strict=True):
            assert torch.equal(w, _explicit_bc(v, out_f, in_f))
    strided = vec.transpose(-1, -2).contiguous().transpose(-1, -2)
    assert torch.equal(expand_bc(strided, out_f, in_f), indexed)


def test_transpose_of_circulant_block_is_circulant():
    v = torch.arange(1.0, 9.0).reshape(1, 1, 8)
    C = _explicit_bc(v, 8, 8)
    vt = v[..., [(-k) % 8 for k in range(8)]]
    assert torch.equal(C.T, _explicit_bc(vt, 8, 8))


def test_masked_layer_zero_gradient_and_switch_from_bc():
    layer = CompressedLinear(8, 4)
    layer.to_bc(4)
    before = layer.dense_weight().detach().clone()
    layer.bc_to_masked()
    assert torch.allclose(layer.dense_weight(), before)
    mask = torch.zeros(4, 8, dtype=torch.bool)
    mask[:, :4] = True
    layer.set_mask(mask)
    layer(torch.randn(3, 8)).sum().backward()
    assert torch.all(layer.weight.grad[~mask] == 0)
    assert torch.all(layer.weight.detach()[~mask] == 0)


def test_mask_builders():
    torch.manual_seed(0)
    w = torch.randn(16, 18)
    g = M.group_mask(w, 1, 4, 0.75)
    n_groups = 16 * 5
    kept = (M.group_norms(g.float(), 1, 4) > 0).sum().item()
    assert kept == round(n_groups * 0.25)
    # Kept groups are whole groups (padding aside) and have the largest norms.
    norms = M.group_norms(w, 1, 4)
    assert norms[M.group_norms(g.float(), 1, 4) > 0].min() >= norms[M.group_norms(g.float(), 1, 4) == 0].max()
    nm = M.nm_mask(w, 2, 4)
    assert torch.all(nm[:, :16].reshape(16, 4, 4).sum(dim=2) == 2)
    mm = M.magnitude_mask(w, 0.9)
    assert mm.sum().item() == round(w.numel() * 0.1)
    assert w.abs()[mm].min() >= w.abs()[~mm].max()


def test_cubic_schedule():
    assert M.cubic_sparsity(0, 10, 80, 0.0, 0.9) == 0.0
    assert M.cubic_sparsity(80, 10, 80, 0.0, 0.9) == 0.9
    assert M.cubic_sparsity(200, 10, 80, 0.0, 0.9) == 0.9
    vals = [M.cubic_sparsity(t, 10, 80, 0.0, 0.9) for t in range(10, 81)]
    assert all(b >= a for a, b in itertools.pairwise(vals))
    # Cubic: the first half of the ramp covers 7/8 of the way.
    assert M.cubic_sparsity(45, 10, 80, 0.0, 0.9) == pytest.approx(0.9 * 7 / 8)


def test_erdos_renyi_densities_hit_global_sparsity():
    shapes = [(256, 17), (256, 256), (256, 23), (256, 256)]
    d = M.erdos_renyi_densities(shapes, 0.9)
    total = sum(o * i for o, i in shapes)
    assert sum(x * o * i for x, (o, i) in zip(d, shapes, strict=True)) == pytest.approx(0.1 * total)
    assert d[0] > d[1]  # thin layers are denser
    assert all(0 < x <= 1 for x in d)


def _ctrl(**kw):
    args = {"s_min": 0.5, "s_max": 0.95, "step": 0.025, "window": 3, "rel_tol": 0.05, "abs_tol": 50.0, "hold": 2}
    args.update(kw)
    return RewardAwareTarget(**args)


def test_controller_rises_while_reward_holds_and_backs_off_on_drop():
    c = _ctrl()
    for r in (1000, 1100, 1200):
        c.update(r)
    assert c.target == pytest.approx(0.525)
    for r in (1300, 1400, 1500):
        c.update(r)
    assert c.target == pytest.approx(0.6)
    c.update(100)  # window mean 1000, far below the best (1400): back off
    assert c.target == pytest.approx(0.575)
    c.update(100)
    c.update(2000)  # hysteresis: holds for two evaluations, whatever the reward
    assert c.target == pytest.approx(0.575)
    c.update(2000)  # window mean 1367 is within 5 % of the best: rise again
    assert c.target == pytest.approx(0.6)


def test_controller_with_negative_noisy_returns():
    c = _ctrl()
    rng = np.random.default_rng(0)
    for _ in range(20):
        c.update(-300 + rng.normal(0, 10))  # flat, noisy, negative: within the absolute floor
    assert c.target == pytest.approx(0.95)
    c2 = _ctrl(abs_tol=1.0)
    for r in (-100, -100, -100, -400, -400, -400):
        c2.update(r)
    assert c2.target <= 0.5 + 0.025 + 1e-12  # a drop from -100 to -400 is a drop, not a gain
    assert c2.best == -100


def test_linear_ramp_schedule():
    assert M.linear_sparsity(0, 10, 80, 0.0, 0.9) == 0.0
    assert M.linear_sparsity(45, 10, 80, 0.0, 0.9) == pytest.approx(0.45)
    assert M.linear_sparsity(80, 10, 80, 0.0, 0.9) == 0.9
    # The cubic schedule prunes more than the ramp early on (the point of comparing them).
    assert M.cubic_sparsity(20, 10, 80, 0.0, 0.9) > M.linear_sparsity(20, 10, 80, 0.0, 0.9)


def test_revert_to_bc_is_the_least_squares_projection():
    torch.manual_seed(2)
    layer = CompressedLinear(10, 7, block=4)  # padded: 7 = 4 + 3 rows, 10 = 4 + 4 + 2 cols
    layer.to_bc(4)
    v = layer.bc_vec.detach().clone()
    layer.bc_to_masked()
    layer.masked_to_bc()  # an exactly circulant weight projects back onto its own vectors
    assert torch.allclose(layer.bc_vec, v, atol=1e-6)
    # For any weight the residual is orthogonal to every BC matrix (least squares), padding left out.
    layer.bc_to_masked()
    with torch.no_grad():
        layer.weight.copy_(torch.randn(7, 10))
    w = layer.weight.detach().clone()
    layer.masked_to_bc()
    resid = w - layer.dense_weight().detach()
    for _ in range(5):
        probe = expand_bc(torch.randn(2, 3, 4), 7, 10)
        assert abs(float((resid * probe).sum())) < 1e-4


def test_controller_tolerance_scales_with_evaluation_noise():
    rng = np.random.default_rng(0)
    returns = list(1000 + 300 * rng.standard_normal(12))  # σ = 300 around a flat line
    fixed = RewardAwareTarget(0.5, 0.95, 0.025, 3, 0.05, 50.0, 2)
    noisy = RewardAwareTarget(0.5, 0.95, 0.025, 3, 0.05, 50.0, 2, noise_z=2.0)
    for r in returns:
        fixed.update(r)
        noisy.update(r)
    assert 150 < noisy.noise() < 600  # σ measured from successive differences
    assert noisy.tolerance() == pytest.approx(2.0 * noisy.noise() * (2 / 3) ** 0.5)
    assert noisy.tolerance() > fixed.tolerance()
    assert noisy.target > fixed.target  # noise is not read as a drop, so the target keeps rising
