"""3D-ViT attention maps: each head's class-token attention (last block) rendered on the points.

Each point takes the attention weight of its nearest patch centre; one row per cloud, one column per head.
Colours show the weight relative to uniform attention (S * weight for S patches: 1 = uniform), on one colour
scale for the whole figure, so a head that attends evenly looks flat and a focused head shows bright spots.
Each panel states the head's attention entropy (log S for uniform). The `attention` task
(`evaluation.tasks.attention`) picks the clouds.
"""

import numpy as np

from dcglr_tf.evaluation.plots import plt, save


def point_attention(backbone, points):
    """points (B, N, 3) -> (per-point attention (B, heads, N), patch attention (B, heads, S), centres (B, S, 3))."""
    from dcglr_tf.ops.points import knn

    if not hasattr(backbone, "attention_maps"):
        raise ValueError(f"backbone {type(backbone).__name__} has no attention maps; the attention task supports vit3d only")
    maps = backbone.attention_maps(points)
    attention = np.asarray(maps["attention"])
    centres = maps["centres"]
    nearest = np.asarray(knn(points, centres, 1))[..., 0]  # (B, N) index of the nearest patch centre
    per_point = np.take_along_axis(attention, nearest[:, None, :], axis=2)
    return per_point, attention, np.asarray(centres)


def plot_attention(points, per_point, titles, path, title, num_patches=None, entropy=None):
    """points (B, N, 3), per_point (B, heads, N) patch weights at each point; row b titled titles[b];
    entropy (B, heads) is printed in the panels when given."""
    points = np.asarray(points)
    rows, heads = per_point.shape[0], per_point.shape[1]
    relative = per_point * float(num_patches or 1)
    vmax = max(2.0, float(np.percentile(relative, 99.5)))
    figure = plt.figure(figsize=(2.6 * heads + 1.2, 2.6 * rows + 0.8))
    for b in range(rows):
        for h in range(heads):
            axis = figure.add_subplot(rows, heads, b * heads + h + 1, projection="3d")
            scatter = axis.scatter(points[b, :, 0], points[b, :, 2], points[b, :, 1], c=relative[b, h],
                                   cmap="viridis", vmin=0.0, vmax=vmax, s=6, depthshade=False)
            axis.view_init(elev=20, azim=-60)
            axis.set_box_aspect((1, 1, 1))
            axis.set_axis_off()
            label = f"head {h + 1}" if b == 0 else ""
            if entropy is not None:
                label += f"\nH = {entropy[b, h]:.2f}"
            axis.set_title(label, fontsize=9)
            if h == 0:
                axis.text2D(-0.05, 0.5, titles[b], transform=axis.transAxes, rotation=90, va="center",
                            ha="center", fontsize=11)
    figure.suptitle(title, fontsize=11)
    bar = figure.colorbar(scatter, ax=figure.axes, shrink=0.5, pad=0.02)
    bar.set_label("attention x patches (1 = uniform), nearest patch")
    return save(figure, path)
