"""DRW likelihoods by the Kalman filter against the dense Gaussian computation."""

import numpy as np
import pytest

from qzo.lightcurves.likelihood import drw_log_likelihoods, padded, process_log_likelihoods


def dense_log_likelihood(t, y, e, tau, sf):
    """The DRW + errors likelihood with a flat prior on the mean, from the full covariance."""
    cov = 0.5 * sf**2 * np.exp(-np.abs(t[:, None] - t[None, :]) / tau) + np.diag(e**2)
    inverse = np.linalg.inv(cov)
    one = np.ones_like(y)
    a, b, q = one @ inverse @ one, one @ inverse @ y, y @ inverse @ y
    _, log_det = np.linalg.slogdet(cov)
    return -0.5 * (q - b**2 / a + log_det + np.log(a) + (len(y) - 1) * np.log(2 * np.pi))


def light_curves(rng, lengths):
    times, mags, errors = [], [], []
    for n in lengths:
        times.append(np.sort(rng.uniform(58000, 59500, n)))
        mags.append(19 + 0.2 * rng.standard_normal(n))
        errors.append(rng.uniform(0.02, 0.2, n))
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    return offsets, np.concatenate(times), np.concatenate(mags), np.concatenate(errors)


def test_the_kalman_filter_gives_the_dense_likelihood_for_every_light_curve_and_pair():
    rng = np.random.default_rng(4)
    offsets, times, mags, errors = light_curves(rng, [2, 37, 120, 5])
    tau = np.array([1.0, 30.0, 300.0, 2000.0, 50.0])
    sf = np.array([0.0, 0.05, 0.2, 0.3, 1.0])
    got = drw_log_likelihoods(offsets, times, mags, errors, tau, sf)
    assert got.shape == (4, 5)
    for i in range(4):
        cut = slice(offsets[i], offsets[i + 1])
        for k in range(5):
            want = dense_log_likelihood(times[cut], mags[cut], errors[cut], tau[k], sf[k])
            assert got[i, k] == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_a_light_curve_scores_the_same_alone_and_in_a_padded_batch():
    rng = np.random.default_rng(5)
    offsets, times, mags, errors = light_curves(rng, [80, 3, 150])
    tau, sf = np.array([100.0]), np.array([0.2])
    batch = drw_log_likelihoods(offsets, times, mags, errors, tau, sf)
    alone = drw_log_likelihoods(np.array([0, 3]), times[80:83], mags[80:83], errors[80:83], tau, sf)
    assert batch[1, 0] == pytest.approx(alone[0, 0], rel=1e-12)
    single = drw_log_likelihoods(np.array([0, 1]), times[:1], mags[:1], errors[:1], tau, sf)
    assert np.isnan(single).all()


def test_padding_places_each_light_curve_on_its_row():
    rows = padded(np.array([0, 2, 2, 5]), np.array([1.0, 2, 3, 4, 5]), fill=-1)
    assert rows.tolist() == [[1, 2, -1], [-1, -1, -1], [3, 4, 5]]


def test_a_drw_light_curve_prefers_its_process_and_a_constant_one_does_not():
    """A bright, well-sampled QSO-like DRW is explained far better by the QSO process than by
    its errors alone; a constant source with the same errors is not."""
    rng = np.random.default_rng(6)
    n, tau, sf, err = 150, 200.0, 0.25, 0.03
    t = np.sort(rng.uniform(58000, 59800, n))
    signal = np.empty(n)
    signal[0] = rng.normal(0, sf / np.sqrt(2))
    for i in range(1, n):
        a = np.exp(-(t[i] - t[i - 1]) / tau)
        signal[i] = a * signal[i - 1] + rng.normal(0, sf / np.sqrt(2) * np.sqrt(1 - a**2))
    drw = 19 + signal + rng.normal(0, err, n)
    constant = 19 + rng.normal(0, err, n)
    processes = {"qso": ((70.0, 3500.0), (0.1, 0.35)), "red_noise": ((1.0, 32.0), (0.01, 0.05))}
    scores = process_log_likelihoods(
        np.array([0, n, 2 * n]),
        np.concatenate([t, t]),
        np.concatenate([drw, constant]),
        np.full(2 * n, err),
        processes,
    )
    assert scores["qso"][0] > 50 and scores["qso"][0] > scores["red_noise"][0]
    assert scores["qso"][1] < 0 and scores["red_noise"][1] < 2
