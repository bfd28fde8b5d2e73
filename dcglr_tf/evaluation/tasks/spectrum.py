"""Eigenvalue spectrum of the feature covariance: the collapse check.

Eigenvalues of the covariance of the (centred, not standardised) features, sorted, divided by the largest and
plotted on a log scale. A healthy encoder decays gradually over many dimensions; a collapsed one has a single
dominant eigenvalue followed by a cliff to numerical zero, or (constant features) no variance at all.
Summary numbers: effective rank exp(H(p)), p = eigenvalues / sum (1 for one direction, D for isotropic),
and the count of eigenvalues above 1e-3 of the largest.
"""

import os

from dcglr_tf.data import sources
from dcglr_tf.evaluation.report import format_table
from dcglr_tf.evaluation.spectrum import feature_spectrum, plot_spectra
from dcglr_tf.evaluation.tasks.common import (
    FEATURES_NOTE,
    base_result,
    dataset_of,
    encoder_slug,
    frozen_features,
    point_settings,
    split_of,
)


def run_spectrum(args, spec, ctx, log=print):
    dataset, name, num_points, [(features, _)] = frozen_features(args, spec, "spectrum", log, splits=("train",),
                                                                  ctx=ctx, labelled=False)
    spectrum = feature_spectrum(features)
    picture = os.path.join(ctx["picture_dir"], f"spectrum_{sources.short_name(dataset)}_{encoder_slug(spec, args)}.png")
    plot_spectra([(name, spectrum)], picture,
                 f"Feature covariance spectrum: {dataset} train split, {len(features)} clouds")
    ctx.setdefault("spectra", []).append((name, spectrum))
    log(format_table(["encoder", "dim", "eff. rank", "rank@1e-3", "top share", "collapsed"],
                     [[name, spectrum["feature_dim"], spectrum["effective_rank"], spectrum["rank_1e-3"],
                       spectrum["top_eigenvalue_share"], spectrum["collapsed"]]]))
    settings = {"num_points": num_points, "split": split_of(args, "train", dataset_of(args, dataset, num_points)),
                "clouds": int(len(features)),
                "covariance": "of centred (not standardised) features", "normalisation": "divided by the largest",
                **point_settings(args)}
    summary = {"eff. rank": spectrum["effective_rank"], "rank@1e-3": spectrum["rank_1e-3"],
               "collapsed": spectrum["collapsed"]}
    return base_result("spectrum", dataset, name, settings, [], spectrum, features=FEATURES_NOTE, pictures=[picture],
                       summary=summary)
