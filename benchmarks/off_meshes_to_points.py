"""Turn a folder of OFF meshes laid out as ModelNet's (`<class>/{train,test}/<class>_<id>.off`, or
`<class>/<id>.off`) into a points file with each cloud's class, for `evaluate.py --task=transfer` and
`--task=retrieval` on real CAD geometry:

    python benchmarks/off_meshes_to_points.py --meshes ../shared/data/modelnet_off_mini --output runs/meshes.npz
    python evaluate.py --task=transfer --encoder=ENC --points_file=runs/meshes.npz

Each mesh is sampled as `modelnet40_cad`'s `off_fps2048` config samples it (10,000 area-weighted surface points,
farthest point sampling in selection order, z-up to y-up, unit sphere), `--samplings` times with different
surface samples: sampling 0 is the builder's own (its seed key "<split>/<id>"), sampling r > 0 uses
"<split>/<id>/<r>". So the first N points of a cloud are the FPS selection of N, as in the
modelnet40_normal_resampled files. Written: `points` (M, num_points, 3) float32, `class_name` (M,), `object` (M,)
("<id>", so `evaluate.py --task=knn --protocol=loo --points_file=...` never matches a cloud with another sampling
of its own mesh) and `name` (M,) ("<id>#<r>"), M = meshes x samplings, meshes in sorted path order.
"""

import argparse
import pathlib
import sys
import time

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from dcglr_tf.builders.modelnet40_cad.modelnet40_cad_dataset_builder import OFF_SURFACE_SAMPLES, sample_off_mesh  # noqa: E402

SPLIT_FOLDERS = ("train", "test")


def find_meshes(root):
    """[(class name, split or "", path)] of every `.off` file under `root`, sorted by path: the class is the folder
    above a `train`/`test` folder, else the file's own folder."""
    root = pathlib.Path(root)
    if not root.is_dir():
        raise ValueError(f"--meshes {root}: no such folder")
    meshes = []
    for path in sorted(root.rglob("*.off")):
        split = path.parent.name if path.parent.name in SPLIT_FOLDERS else ""
        folder = path.parent.parent if split else path.parent
        if folder.resolve() == root.resolve():
            raise ValueError(f"{path}: an OFF file must sit in its class folder (<class>/<id>.off or "
                             f"<class>/train/<id>.off)")
        meshes.append((folder.name, split, path))
    if not meshes:
        raise ValueError(f"--meshes {root}: no .off files found")
    return meshes


def mesh_clouds(meshes, num_points, samplings, log=print):
    """(points (M, num_points, 3) float32, class names (M,), object names (M,), names (M,)) for
    M = len(meshes) x samplings."""
    points, classes, objects, names = [], [], [], []
    for number, (class_name, split, path) in enumerate(meshes, start=1):
        key = f"{split}/{path.stem}" if split else path.stem
        for r in range(samplings):
            cloud, _ = sample_off_mesh(path, key if r == 0 else f"{key}/{r}", num_points)
            points.append(cloud)
            classes.append(class_name)
            objects.append(path.stem)
            names.append(f"{path.stem}#{r}")
        log(f"[{number}/{len(meshes)}] {path} ({class_name}): {samplings} clouds")
    return np.stack(points).astype(np.float32), np.array(classes), np.array(objects), np.array(names)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--meshes", required=True, help="folder of OFF meshes in class folders (ModelNet layout)")
    parser.add_argument("--output", required=True, help="the .npz file to write")
    parser.add_argument("--num_points", type=int, default=2048, help="points per cloud (FPS order)")
    parser.add_argument("--samplings", type=int, default=10, help="clouds per mesh, each from its own surface sample")
    args = parser.parse_args(argv)
    if not 1 <= args.num_points <= OFF_SURFACE_SAMPLES or args.samplings < 1:
        parser.error(f"--num_points must be in 1..{OFF_SURFACE_SAMPLES} (the surface samples FPS picks from) and "
                     f"--samplings >= 1; got {args.num_points} and {args.samplings}")
    if not args.output.endswith(".npz"):
        parser.error(f"--output {args.output}: must end in .npz")
    try:
        meshes = find_meshes(args.meshes)
    except ValueError as error:
        parser.error(str(error))
    start = time.perf_counter()
    points, classes, objects, names = mesh_clouds(meshes, args.num_points, args.samplings)
    output = pathlib.Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    np.savez(output, points=points, class_name=classes, object=objects, name=names)
    counts = {str(c): int(n) for c, n in zip(*np.unique(classes, return_counts=True))}
    print(f"wrote {output}: {len(points)} clouds of {args.num_points} points ({counts}) in "
          f"{time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
