"""Check that a mesh gives the same cloud in every mesh format `dcglr_tf.data.readers` reads:

    python tools/mesh_formats_check.py --meshes DIR [--formats obj stl ply glb] [--num_points 2048]

Every mesh under DIR (any of `readers.MESH_SUFFIXES`, also in sub-folders) is read, written by trimesh in each
format into a temporary folder, read back and sampled with the same seed (`readers.seed_of` of its path relative to
DIR). Printed: per format, the largest absolute coordinate difference from the original's cloud, and that
difference relative to the mesh's bounding-box diagonal. STL, binary PLY and glTF store float32 coordinates, OBJ
text keeps 8 decimals: differences up to about 1e-7 of the mesh's size are the formats' rounding, nothing else.
"""

import argparse
import pathlib
import sys
import tempfile

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from dcglr_tf.data import readers  # noqa: E402


def format_differences(path, relative, formats, num_points, folder):
    """{format: (max abs difference, that / bounding-box diagonal)} between the clouds of `path` and of its copy
    written in each format."""
    import trimesh  # pylint: disable=import-outside-toplevel

    shape = readers.read_shape(path)
    seed = readers.seed_of(relative)
    reference = readers.sample_cloud(shape, num_points, seed)
    diagonal = np.linalg.norm(np.ptp(shape.points, axis=0))
    mesh = trimesh.Trimesh(shape.points, shape.faces, process=False)
    differences = {}
    for file_type in formats:
        copy = pathlib.Path(folder) / f"copy.{file_type}"
        mesh.export(copy)
        difference = float(np.abs(readers.read_cloud(copy, num_points, seed) - reference).max())
        differences[file_type] = (difference, difference / diagonal)
    return differences


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--meshes", required=True, type=pathlib.Path, help="folder of meshes")
    parser.add_argument("--formats", nargs="+", default=["obj", "stl", "ply"],
                        choices=[s[1:] for s in readers.MESH_SUFFIXES])
    parser.add_argument("--num_points", type=int, default=2048)
    args = parser.parse_args(argv)
    paths = sorted(p for p in args.meshes.rglob("*") if p.suffix.lower() in readers.MESH_SUFFIXES)
    if not paths:
        parser.error(f"--meshes {args.meshes}: no mesh files ({' '.join(readers.MESH_SUFFIXES)})")
    worst = {file_type: (0.0, 0.0) for file_type in args.formats}
    with tempfile.TemporaryDirectory() as folder:
        for path in paths:
            relative = path.relative_to(args.meshes).as_posix()
            differences = format_differences(path, relative, args.formats, args.num_points, folder)
            print(relative, "  ".join(f"{k} {a:.3g} ({r:.2g})" for k, (a, r) in differences.items()))
            worst = {k: tuple(np.maximum(worst[k], differences[k])) for k in worst}
    print(f"max over {len(paths)} meshes, {args.num_points} points each: abs difference (/ bbox diagonal)")
    for file_type, (absolute, relative) in worst.items():
        print(f"  {file_type:4s} {absolute:.3g} ({relative:.2g})")


if __name__ == "__main__":
    main()
