"""3D-ViT attention maps: each head's class-token attention (last block) rendered on the points.

Each point takes the attention weight of its nearest patch centre; one row per cloud, one column per head.
Colours show the weight relative to uniform attention (S * weight for S patches: 1 = uniform), on one colour
scale for the whole figure, so a head that attends evenly looks flat and a focused head shows bright spots.
Each panel states the head's attention entropy (log S for uniform).
"""

import os

import numpy as np

from dcglr_tf.data import sources
from dcglr_tf.evaluation.attention import plot_attention, point_attention
from dcglr_tf.evaluation.report import format_table
from dcglr_tf.evaluation.tasks.common import (
    backbone_args,
    base_result,
    check_classification,
    class_names_of,
    dataset_of,
    encoder_description,
    encoder_slug,
    num_points_of,
    point_order_of,
    point_settings,
    prepared_dataset,
    split_of,
    task_dataset,
)
from dcglr_tf.evaluation.tasks.features import load_trainable_backbone, parse_encoder_spec
from dcglr_tf.evaluation.tasks.finetune import load_arrays


def run_attention(args, spec, ctx, log=print):
    dataset = task_dataset(args)
    check_classification(dataset_of(args, dataset), "attention")
    path, backbone_name = parse_encoder_spec(spec, args.backbone)
    if path == "random":
        if backbone_name != "vit3d":
            raise ValueError(f"attention maps exist for the vit3d backbone only, not {backbone_name!r}")
        description = {}
    else:
        description = encoder_description(path)
        if description.get("backbone_class") != "ViT3D":
            raise ValueError(f"attention maps exist for the vit3d backbone only; {path} is a "
                             f"{description.get('backbone_class')} encoder")
    backbone, name = load_trainable_backbone(path, backbone_name, args.preset, args.seed, backbone_args(args))
    num_points = num_points_of(args, description)
    info = prepared_dataset(args, dataset, num_points, log)
    points, labels = load_arrays(info, split_of(args, "test", info), num_points, args.data_dir, args.manual_dir,
                                 point_order_of(args), args.seed)
    firsts = [int(np.flatnonzero(labels == c)[0]) for c in np.unique(labels)][: args.num_clouds]
    points, labels = points[firsts], labels[firsts]
    per_point, patch_attention, _ = point_attention(backbone, points)
    names = class_names_of(dataset, args)
    titles = [names[y] if y < len(names) else f"class {y}" for y in labels]
    picture = os.path.join(ctx["picture_dir"],
                           f"attention_{sources.short_name(dataset)}_{encoder_slug(spec, args)}.png")
    entropy = -np.sum(patch_attention * np.log(np.maximum(patch_attention, 1e-12)), axis=-1)  # (B, heads)
    plot_attention(points, per_point, titles, picture,
                   f"3D-ViT class-token attention, last block ({name})\nrows: {dataset} test clouds, columns: heads; "
                   f"H: entropy in nats (uniform over {patch_attention.shape[-1]} patches = "
                   f"{np.log(patch_attention.shape[-1]):.2f})", num_patches=patch_attention.shape[-1], entropy=entropy)
    rows = [[titles[b]] + [f"{entropy[b, h]:.2f}" for h in range(entropy.shape[1])] for b in range(len(titles))]
    log("attention entropy per head (nats; uniform = log(patches) = "
        f"{np.log(patch_attention.shape[-1]):.2f})")
    log(format_table(["cloud"] + [f"head {h + 1}" for h in range(entropy.shape[1])], rows))
    settings = {"num_points": num_points, **point_settings(args), "clouds": titles, "heads": int(per_point.shape[1]),
                "patches": int(patch_attention.shape[-1]), "block": "last"}
    metrics = {"attention_entropy": entropy.tolist(), "uniform_entropy": float(np.log(patch_attention.shape[-1]))}
    return base_result("attention", dataset, name, settings, [], metrics, pictures=[picture],
                       summary={"mean entropy": float(entropy.mean())})
