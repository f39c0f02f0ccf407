"""What a wrong array is, measured: the facts a hidden test reports when a value is not the right one.

A message names a cause only when a probe confirmed it: the student's array equals, within the
tolerance, what that cause produces. Otherwise it reports what was measured: the shape, a constant
factor (named in the problem's own sizes when one fits), the sign, NaN or inf and where, and which
entries differ (a named region such as "only where the input is negative", or every entry of a row
by the same amount). No list of known mistakes is needed for these facts; probes only add a name.

``Probe(identifier, cause, value)``: ``value`` is what the mistake ``identifier`` would give.
"""
from dataclasses import dataclass

import numpy as np


@dataclass
class Probe:
    diagnosis: str
    cause: str
    value: object


def rel_error(a, b):
    """Norm-wise relative error between two arrays (0 when both are zero)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def matches(got, value, tol):
    value = np.asarray(value, dtype=np.float64)
    return got.shape == value.shape and np.all(np.isfinite(value)) and rel_error(got, value) <= tol


def fmt(value):
    return f"{value:.4g}"


def name_factor(factor, sizes, tol):
    """``factor`` as an expression of the problem's sizes ({"the batch size": 8, ...}), or None."""
    candidates = [(1.0, "")]
    for label, size in sizes.items():
        if size and size != 1:
            candidates += [(float(size), f"{size} ({label})"), (1.0 / size, f"1/{size} (1 / {label})")]
    for number in (2.0, 0.5):
        candidates.append((number, fmt(number)))
    for value, words in candidates[1:]:
        for sign, prefix in ((1.0, ""), (-1.0, "-")):
            if abs(factor - sign * value) <= max(tol, 1e-9) * abs(value) * 10:
                return prefix + words
    if abs(factor + 1) <= max(tol, 1e-9) * 10:
        return "-1"
    return None


def constant_factor(got, expected, tol):
    """k such that got = k * expected within ``tol``, or None."""
    expected = np.asarray(expected, dtype=np.float64)
    norm = float(np.sum(expected * expected))
    if norm == 0:
        return None
    k = float(np.sum(got * expected) / norm)
    return k if k != 0 and rel_error(got, k * expected) <= tol else None


def differing(got, expected, tol):
    """Boolean mask of the entries that differ by more than ``tol`` of the array's scale."""
    scale = max(float(np.max(np.abs(expected))) if expected.size else 0.0, 1e-12)
    return np.abs(got - expected) > tol * scale * 10


def row_offsets(got, expected, wrong):
    """The per-row offset when every entry of each wrong row differs by the same amount, else None."""
    if got.ndim != 2 or got.shape[1] < 2:
        return None
    diff = got - expected
    offsets = diff[:, :1]
    if np.allclose(diff, offsets, rtol=1e-6, atol=1e-9 * max(1.0, float(np.max(np.abs(expected))))) and wrong.any():
        return offsets[:, 0]
    return None


def describe(name, got, expected, tol, sizes=None, regions=None, probes=(), factor_names=None):  # noqa: C901 - one probe per kind of difference, in order; a table of probes is the next step
    """None when ``got`` is ``expected`` within ``tol``; else (message lines, diagnosis or None).

    ``sizes``: {"the batch size": n, ...} to name a constant factor (``factor_names``: sizes whose factor
    names a mistake); ``regions``: {"where the input is negative": (mask, diagnosis or None), ...} to say
    where the differences are; ``probes``: causes to confirm.
    """
    sizes, regions = dict(sizes or {}), regions or {}
    factor_names = factor_names or {}  # {label: (size, diagnosis)}: a factor of this size names that mistake
    sizes.update({label: size for label, (size, _) in factor_names.items()})
    expected = np.asarray(expected, dtype=np.float64)
    if got is None:
        return [f"{name} is None: it was never set."], "gradient-not-stored"
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return [f"{name} is not an array of numbers (it is a {type(got).__name__})."], "wrong-shape"
    if got.shape != expected.shape:
        lines = [f"{name} has shape {got.shape}; expected {expected.shape}."]
        for probe in probes:
            if matches(got, probe.value, tol):
                return lines + [probe.cause], probe.diagnosis
        if got.ndim >= 2 and got.shape == expected.shape[::-1]:
            return lines + ["That is the expected shape reversed (transposed)."], "transposed"
        return lines, "wrong-shape"
    bad = ~np.isfinite(got)
    if bad.any():
        return [f"{name} has NaN or inf in {int(bad.sum())} of {got.size} entries."], "not-finite"
    error = rel_error(got, expected)
    if error <= tol:
        return None
    lines = [f"{name} is wrong: relative error {error:.2e} (tolerance {tol:.0e})."]
    for probe in probes:
        if matches(got, probe.value, tol):
            return lines + [probe.cause], probe.diagnosis
    if got.size > 1 and not np.any(got):
        return lines + ["It is all zeros."], None
    if got.size == 1:
        value, right = float(got.reshape(-1)[0]), float(expected.reshape(-1)[0])
        return lines + [f"It is {fmt(value)}; expected {fmt(right)}."], None
    if got.ndim == 2 and got.shape[0] == got.shape[1] > 1 and matches(got, expected.T, tol):
        return lines + ["It is the right matrix transposed (rows and columns swapped)."], "transposed"
    factor = constant_factor(got, expected, tol) if got.size > 1 else None  # any number is a multiple of another
    if factor is not None:
        words = name_factor(factor, sizes, tol)
        if words == "-1":
            return lines + ["Every entry has the opposite sign: it is -1 times the right value."], "wrong-sign"
        said = f"Every entry is {fmt(factor)} times the right value"
        if words:
            said += f": a factor of {words}"
        diagnosis = next((named for label, (size, named) in factor_names.items()
                          if words and label in words), "scaled-by-constant")
        batch = sizes.get("the batch size")
        if batch and batch > 1 and abs(factor - batch) <= tol * batch * 10:
            diagnosis = "summed-over-batch"
            said += ", as if summed over the batch instead of averaged"
        elif batch and batch > 1 and abs(factor - 1 / batch) <= tol / batch * 10:
            diagnosis = "batch-division-extra"
            said += ", as if divided by the batch size once too often"
        return lines + [said + "."], diagnosis
    wrong = differing(got, expected, tol)
    for label, (mask, diagnosis) in regions.items():
        mask = np.broadcast_to(np.asarray(mask, dtype=bool), got.shape)
        if wrong.any() and mask.any() and not np.any(wrong & ~mask):
            return lines + [f"Only entries {label} differ ({int(wrong.sum())} of {int(mask.sum())} there); "
                            "every other entry is right."], diagnosis
    offsets = row_offsets(got, expected, wrong)
    if offsets is not None:
        return lines + [f"In each row every entry is off by the same amount (row offsets "
                        f"{np.array2string(offsets[:4], precision=3)}{' ...' if len(offsets) > 4 else ''})."], None
    index = np.unravel_index(int(np.argmax(np.abs(got - expected))), got.shape)
    return lines + [f"{int(wrong.sum())} of {got.size} entries differ; the largest at {tuple(int(i) for i in index)}: "
                    f"{fmt(got[index])}, expected {fmt(expected[index])}."], None
