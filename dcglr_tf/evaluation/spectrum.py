"""Eigenvalue spectrum of the feature covariance: the collapse check.

Eigenvalues of the covariance of the (centred, not standardised) features, sorted, divided by the largest and
plotted on a log scale. A healthy encoder decays gradually over many dimensions; a collapsed one has a single
dominant eigenvalue followed by a cliff to numerical zero, or (constant features) no variance at all.
Summary numbers: effective rank exp(H(p)), p = eigenvalues / sum (1 for one direction, D for isotropic),
and the count of eigenvalues above 1e-3 of the largest. The `spectrum` task (`evaluation.tasks.spectrum`)
extracts the features.
"""

import numpy as np

from dcglr_tf.evaluation.plots import plt, save

FLOOR = 1e-12  # zero eigenvalues are drawn here on the log scale


ZERO_VARIANCE = 1e-12  # total variance below this (per dimension): constant features


def feature_spectrum(features):
    """Spectrum summary of (M, D) features: eigenvalues (descending), normalised eigenvalues, effective rank,
    rank_1e-3, collapsed (all variance zero, or one eigenvalue holding more than 99 % of it)."""
    features = np.asarray(features, dtype=np.float64)
    centred = features - features.mean(axis=0)
    covariance = centred.T @ centred / max(len(features) - 1, 1)
    eigenvalues = np.clip(np.linalg.eigvalsh(covariance)[::-1], 0.0, None)
    largest = float(eigenvalues[0])
    total = float(eigenvalues.sum())
    if total <= ZERO_VARIANCE * len(eigenvalues):
        normalised = np.zeros_like(eigenvalues)
        effective_rank, above, top_share = 0.0, 0, 1.0
    else:
        normalised = eigenvalues / largest
        p = eigenvalues / total
        p = p[p > 0]
        effective_rank = float(np.exp(-np.sum(p * np.log(p))))
        above = int(np.sum(normalised > 1e-3))
        top_share = largest / total
    return {
        "eigenvalues": [float(v) for v in eigenvalues],
        "normalised_eigenvalues": [float(v) for v in normalised],
        "largest_eigenvalue": largest,
        "total_variance": total,
        "top_eigenvalue_share": float(top_share),
        "effective_rank": effective_rank,
        "rank_1e-3": above,
        "feature_dim": int(features.shape[1]),
        "samples": int(len(features)),
        "collapsed": bool(total <= ZERO_VARIANCE * len(eigenvalues) or top_share > 0.99),
    }


def plot_spectra(spectra, path, title):
    """spectra: list of (label, feature_spectrum dict); one curve each on a log scale."""
    figure, axis = plt.subplots(figsize=(8, 5))
    for label, spectrum in spectra:
        values = np.maximum(np.asarray(spectrum["normalised_eigenvalues"]), FLOOR)
        note = f"eff. rank {spectrum['effective_rank']:.1f}"
        if spectrum["total_variance"] <= ZERO_VARIANCE * len(values):
            note = f"COLLAPSED: constant features, all eigenvalues 0 (drawn at {FLOOR:g})"
        elif spectrum["collapsed"]:
            note += ", COLLAPSED (one direction)"
        axis.plot(np.arange(1, len(values) + 1), values, marker="." if len(values) <= 64 else None,
                  linestyle="--" if spectrum["collapsed"] else "-", linewidth=2, label=f"{label}\n  {note}")
    samples = min(s["samples"] for _, s in spectra)
    if samples - 1 < max(len(s["normalised_eigenvalues"]) for _, s in spectra):
        axis.axvline(samples - 1, color="grey", linestyle=":", linewidth=1,
                     label=f"rank limit of {samples} samples (clouds - 1)")
    axis.set_yscale("log")
    axis.set_ylim(FLOOR / 3, 3)
    axis.set_xlabel("eigenvalue index (descending)")
    axis.set_ylabel("eigenvalue / largest eigenvalue (log scale)")
    axis.set_title(title, fontsize=10)
    axis.grid(True, which="major", alpha=0.3)
    axis.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=1 if len(spectra) < 3 else 2)
    return save(figure, path)
