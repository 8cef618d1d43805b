"""Running statistics of per-step series (losses, gradient norms)."""

import warnings

import numpy as np


def running_median_ratios(values, window, min_history):
    """Each value divided by the median of the `window` finite values before it.

    Returns `(ratios, medians)`, float64 arrays the length of `values`. The
    ratio is NaN where fewer than `min_history` earlier finite values exist or
    the median is not positive, and +inf where the value itself is not
    finite (a NaN or infinite loss is the largest possible jump).
    """
    values = np.asarray(values, np.float64)
    if not len(values):
        return np.zeros(0), np.zeros(0)
    finite = np.where(np.isfinite(values), values, np.nan)
    padded = np.concatenate([np.full(window, np.nan), finite])
    previous = np.lib.stride_tricks.sliding_window_view(padded[:-1], window)
    enough = np.sum(np.isfinite(previous), axis=1) >= min_history
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        medians = np.where(enough, np.nanmedian(previous, axis=1), np.nan)
        ratios = np.where(medians > 0, values / medians, np.nan)
    ratios = np.where(enough & ~np.isfinite(values), np.inf, ratios)
    return ratios, medians


def runs(flags):
    """`(start, stop)` index ranges of the consecutive True entries of `flags`."""
    flags = np.concatenate([[False], np.asarray(flags, bool), [False]])
    edges = np.flatnonzero(np.diff(flags.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))
