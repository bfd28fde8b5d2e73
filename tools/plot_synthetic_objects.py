"""Picture of the embedded synthetic_objects corpus beside real ModelNet40 airplanes (the README's figure).

One generated object per category as the dataset stores it (stretched and posed: 30 % are turned by 90 degrees
about y), coloured by part, then a few real airplanes (grey) from an npz with key `points` (n, N, 3) (e.g.
`airplanes.npz`, made as docs/results.md says), all drawn from the same viewpoint in the datasets' shared frame
(y up, front towards -z):

    python tools/plot_synthetic_objects.py --airplanes airplanes.npz \\
        --output docs/images/synthetic_objects.png
"""

import argparse
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--airplanes", required=True, help="npz with key 'points' (n, N, 3) of real airplanes")
    parser.add_argument("--output", default="docs/images/synthetic_objects.png", help="PNG to write")
    parser.add_argument("--real", type=int, default=5, help="how many real airplanes to show")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated objects (index in the seed)")
    parser.add_argument("--points", type=int, default=1024, help="points drawn per object (the first n)")
    return parser.parse_args(argv)


def load_airplanes(path, count):
    """The first `count` clouds of the npz's `points`, each centred and scaled into the unit sphere."""
    import numpy as np  # pylint: disable=import-outside-toplevel

    from dcglr_tf.builders import _builder_utils as utils  # pylint: disable=import-outside-toplevel

    try:
        with np.load(path) as data:
            points = data["points"]
    except (OSError, ValueError) as error:
        raise SystemExit(f"error: cannot read --airplanes {path}: {error}") from None
    except KeyError:
        raise SystemExit(f"error: --airplanes {path} has no array 'points'") from None
    if points.ndim != 3 or points.shape[-1] != 3:
        raise SystemExit(f"error: --airplanes {path}: 'points' has shape {points.shape}, expected (n, N, 3)")
    return utils.normalize_unit_sphere(points[:count])


def main(argv=None):
    args = parse_args(argv)
    import matplotlib  # pylint: disable=import-outside-toplevel
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
    import numpy as np  # pylint: disable=import-outside-toplevel

    from dcglr_tf.builders.synthetic_objects import synthetic_objects_dataset_builder as objects  # pylint: disable=C0415

    real = load_airplanes(args.airplanes, args.real)
    panels = [(name, objects.generate_object(c, np.random.default_rng([args.seed, c, 0]))) for c, name in
              enumerate(objects.CATEGORIES)]
    columns = 9
    rows = -(-(len(panels) + len(real)) // columns)
    fig = plt.figure(figsize=(2.2 * columns, 2.2 * rows))
    cmap = plt.get_cmap("tab10")
    for i, (name, (points, _, parts)) in enumerate(panels):
        local = parts - objects.PART_OFFSETS[name]
        ax = _axes(fig, rows, columns, i)
        ax.scatter(*_view(points[:args.points]), s=1.6, c=cmap(local[:args.points] % 10), linewidths=0)
        ax.set_title(name, fontsize=9)
    for j, cloud in enumerate(real):
        ax = _axes(fig, rows, columns, len(panels) + j)
        ax.scatter(*_view(cloud[:args.points]), s=1.6, c="0.35", linewidths=0)
        ax.set_title("real ModelNet40 airplane", fontsize=7, color="0.25")
    fig.suptitle(f"synthetic_objects: {len(panels)} categories coloured by part, as stored (y up, front towards -z "
                 f"or turned by 90 degrees), beside real ModelNet40 airplanes (grey)", fontsize=10)
    fig.tight_layout()
    output = pathlib.Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(output, dpi=72)
    print(f"wrote {output} ({output.stat().st_size / 1024:.0f} KiB)")


def _axes(fig, rows, columns, index):
    ax = fig.add_subplot(rows, columns, index + 1, projection="3d")
    ax.view_init(elev=20, azim=-60)
    ax.set_xlim(-0.8, 0.8), ax.set_ylim(-0.8, 0.8), ax.set_zlim(-0.8, 0.8)
    ax.set_axis_off()
    return ax


def _view(points):
    """(N, 3) in the datasets' frame (y up) -> matplotlib's (x, y, z) with z up and the front (-z) to the viewer."""
    return points[:, 0], points[:, 2], points[:, 1]


if __name__ == "__main__":
    main()
