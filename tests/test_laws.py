"""The closed-form laws against numbers in shared/reference/sourced-parameters.md."""

import math

import pytest

from optimizer import laws
from optimizer.schema import LossLaw, ServedModel, Thinking

EPOCH = LossLaw(E=1.8169, A=482.01, B=2085.43, alpha=0.3478, beta=0.3659)


def test_loss_is_sum_of_three_terms():
    n, d = 70e9, 1.4e12
    assert laws.pretraining_loss(n, d, EPOCH) == pytest.approx(1.8169 + 482.01 / n**0.3478 + 2085.43 / d**0.3659)


@pytest.mark.parametrize("flop, n_expected, d_expected", [(5.76e23, 72e9, 1.33e12), (1e25, 312e9, 5.3e12)])
def test_compute_optimal_matches_epoch_table(flop, n_expected, d_expected):
    n, d = laws.compute_optimal(flop, EPOCH)
    assert n == pytest.approx(n_expected, rel=0.02)
    assert d == pytest.approx(d_expected, rel=0.02)
    assert 6 * n * d == pytest.approx(flop)


def test_muennighoff_four_epochs_worth_373_percent():
    # reference §1.4: 4 epochs (R_D = 3) -> D' = 3.73 U
    value = laws.effective_tokens(4e12, 1e12, 15.387756)
    assert value == pytest.approx(1e12 * (1 + 15.387756 * (1 - math.exp(-3 / 15.387756))), rel=1e-12)
    assert round(value / 1e12, 2) == 3.73


def test_repetition_is_identity_up_to_one_epoch_and_capped_beyond():
    assert laws.repetition_value(0.5, 15.4) == pytest.approx(0.5)
    assert laws.repetition_value(1e6, 15.4) == pytest.approx(16.4)


def test_rl_fraction_is_half_at_midpoint_and_zero_at_zero():
    assert laws.rl_fraction(1e25, 1e25, 1.3) == pytest.approx(0.5)
    assert laws.rl_fraction(0.0, 1e25, 1.3) == 0.0


def test_rl_slope_matches_finite_difference():
    c, h = 3e24, 1e19
    numeric = (laws.rl_fraction(c + h, 1e25, 0.8) - laws.rl_fraction(c - h, 1e25, 0.8)) / (2 * h)
    assert laws.rl_fraction_slope(c, 1e25, 0.8) == pytest.approx(numeric, rel=1e-6)


@pytest.mark.parametrize("layers, kv_bytes", [(32, 131_072), (80, 327_680), (126, 516_096)])
def test_kv_bytes_per_token_match_reference_table(layers, kv_bytes):
    model = ServedModel(params=1e9, n_layers=layers, n_kv_heads=8, head_dim=128)
    assert laws.kv_bytes_per_token(model, 2) == kv_bytes


def test_test_time_score_is_log_linear_and_capped_by_context():
    from optimizer.thinking import ThinkingOption

    tt = Thinking(thinking_multipliers=[1, 4, 16, 64], prompt_tokens=0, base_output_tokens=1000,
                  context_window_tokens=16000, gain_pp_per_doubling=1.5, reference_multiplier=16)

    def score(k):
        return ThinkingOption("sequential", k).score(tt)

    assert score(1) == 0.0
    assert score(4) == pytest.approx(0.5)
    assert score(16) == pytest.approx(1.0)
    assert score(64) == pytest.approx(1.0)  # thinking past the window adds nothing
    assert ThinkingOption("sequential", 64).session_tokens(tt) == 16000
    assert math.isclose(ThinkingOption("sequential", 64).gain_pp(tt), 1.5 * 4)  # useful multiplier 16
