"""t-SNE of frozen features: a 2-D map of the test clouds coloured by class, with a legend of class names."""

import os

from dcglr_tf.data import sources
from dcglr_tf.evaluation.report import format_table
from dcglr_tf.evaluation.tasks.common import (
    FEATURES_NOTE,
    base_result,
    class_names_of,
    dataset_of,
    encoder_slug,
    frozen_features,
    point_settings,
    split_of,
)
from dcglr_tf.evaluation.tsne import plot_tsne, tsne_embedding


def run_tsne(args, spec, ctx, log=print):
    dataset, name, num_points, [(features, labels)] = frozen_features(args, spec, "tsne", log, splits=("test",),
                                                                      ctx=ctx)
    log(f"t-SNE of {len(labels)} {dataset} test clouds ({name})")
    coords = tsne_embedding(features, seed=args.seed)
    picture = os.path.join(ctx["picture_dir"], f"tsne_{sources.short_name(dataset)}_{encoder_slug(spec, args)}.png")
    plot_tsne(coords, labels, class_names_of(dataset, args), picture,
              f"t-SNE of frozen features: {dataset} test split, {len(labels)} clouds\nencoder: {name}")
    log(format_table(["encoder", "clouds", "picture"], [[name, len(labels), picture]]))
    settings = {"num_points": num_points, "split": split_of(args, "test", dataset_of(args, dataset, num_points)),
                "clouds": int(len(labels)),
                "perplexity": float(min(30.0, max((len(labels) - 1) / 3.0, 1.0))), "tsne_seed": args.seed,
                **point_settings(args)}
    return base_result("tsne", dataset, name, settings, [args.seed], {"coordinates_saved": False},
                       features=FEATURES_NOTE, pictures=[picture], summary={"clouds": len(labels)})
