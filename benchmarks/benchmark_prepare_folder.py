"""Preparation speed of a folder of the user's mesh files (`--dataset=DIR`), and the start-up of the run after it.

Writes `--files` meshes (default 10,000) into a temporary folder laid out as ModelNet is (`class_<k>/{train,test}/`,
10 classes, 80 % train): perturbed spheres of 5,120 triangles (an icosphere of 4 subdivisions, scaled per axis and
its vertices moved by noise, each file its own seed), in the formats OFF, OBJ, STL and PLY in turn, written by
trimesh. A child process then prepares the folder at `--num_points` points per cloud (`sources.dataset_info(DIR,
num_points=N)` and `preparation.prepare_with_progress`, as train.py and evaluate.py do: a pool of one reader process
per core), so that the writing of the files does not count; a second child runs the same command again, which finds
the prepared data by listing the folder (os.stat) and reads no file.

    python benchmarks/benchmark_prepare_folder.py                    # 10,000 meshes at 2,048 points
    python benchmarks/benchmark_prepare_folder.py --files=1000       # quick check

Prints the files/s and seconds of the preparation, its CPU seconds (the preparing process and its reader processes:
on a shared machine, the wall time a quiet one would take is about that divided by the cores), the preparing
process's peak RSS, and the second run's start-up (the dataset's part, and the whole process with its imports).
"""

import argparse
import json
import multiprocessing
import os
import pathlib
import resource
import shutil
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
REPO = pathlib.Path(__file__).resolve().parents[1]
FORMATS = ("off", "obj", "stl", "ply")
CLASSES = 10
SUBDIVISIONS = 4  # icosphere: 5,120 triangles


def mesh_path(root: pathlib.Path, index: int) -> pathlib.Path:
    """The file of mesh `index`: class index % 10, every fifth file in test, formats in turn."""
    split = "test" if index % 5 == 4 else "train"
    return root / f"class_{index % CLASSES}" / split / f"mesh_{index:06d}.{FORMATS[index % len(FORMATS)]}"


def write_mesh(arguments) -> int:
    """Write mesh `index` under `root` (a perturbed icosphere seeded by its index); returns its size in bytes."""
    import numpy as np
    import trimesh

    root, index = arguments
    rng = np.random.default_rng(index)
    sphere = trimesh.creation.icosphere(subdivisions=SUBDIVISIONS)
    vertices = sphere.vertices * rng.uniform(0.4, 1.6, size=3) + rng.normal(scale=0.03, size=sphere.vertices.shape)
    path = mesh_path(root, index)
    trimesh.Trimesh(vertices, sphere.faces, process=False).export(path)
    return path.stat().st_size


def write_meshes(root: pathlib.Path, files: int) -> int:
    """Write `files` meshes with one process per core; returns the bytes written."""
    for index in range(min(files, 2 * CLASSES)):
        mesh_path(root, index).parent.mkdir(parents=True, exist_ok=True)
    with multiprocessing.get_context("fork").Pool() as pool:
        return sum(pool.imap_unordered(write_mesh, [(root, i) for i in range(files)], chunksize=64))


def prepare_child(folder: str, data_dir: str, num_points: int) -> None:
    """Runs in a child: import, resolve and prepare the folder with progress lines, report as JSON."""
    t0 = time.perf_counter()
    sys.path.insert(0, str(REPO))
    from dcglr_tf.data import sources
    from dcglr_tf.data.preparation import prepare_with_progress

    t1, cpu1 = time.perf_counter(), _cpu_seconds()
    info = sources.dataset_info(folder, num_points=num_points)
    prepared = sources.is_prepared(info, data_dir=data_dir)
    prepare_with_progress(info, data_dir, log=print)
    t2, cpu2 = time.perf_counter(), _cpu_seconds()
    skipped, _ = sources.skipped_files(info, data_dir=data_dir)
    sizes = {split: sources.num_examples(info, split, data_dir=data_dir) for split in info.splits}
    print(json.dumps({"import_s": t1 - t0, "dataset_s": t2 - t1, "cpu_s": cpu2 - cpu1, "was_prepared": prepared,
                      "sizes": sizes,
                      "skipped": len(skipped), "files": len(info.files.listing.files),
                      "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


def _cpu_seconds():
    """CPU seconds (user + system) of this process and of its ended children (the pool's readers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_child(folder, data_dir, num_points):
    """(JSON report, wall seconds of the whole child process) of `prepare_child`; its other lines are echoed."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--_child", str(folder), str(data_dir), str(num_points)],
                         capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if out.returncode:
        sys.exit(f"preparation failed:\n{out.stderr[-4000:]}")
    lines = out.stdout.strip().splitlines()
    for line in lines[:-1]:
        print(f"  | {line}")
    return json.loads(lines[-1]), seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=10_000, help="meshes to write and prepare")
    parser.add_argument("--num_points", type=int, default=2048, help="points per cloud prepared")
    parser.add_argument("--workdir", default=None, help="where to write (default: a fresh temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the generated and prepared files")
    parser.add_argument("--_child", nargs=3, metavar=("FOLDER", "DATA_DIR", "NUM_POINTS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._child:
        prepare_child(args._child[0], args._child[1], int(args._child[2]))
        return

    work = pathlib.Path(args.workdir or tempfile.mkdtemp(prefix="dcglr_prepare_folder_bench_"))
    folder, data_dir = work / "meshes", work / "tfds"
    try:
        start = time.perf_counter()
        size = write_meshes(folder, args.files)
        print(f"wrote {args.files:,} meshes of {20 * 4 ** SUBDIVISIONS:,} triangles ({', '.join(FORMATS).upper()} in "
              f"turn; {size / 2**20:,.0f} MiB) in {time.perf_counter() - start:.0f} s into {folder}")
        first, _ = run_child(folder, data_dir, args.num_points)
        rate = first["files"] / first["dataset_s"]
        print(f"prepare: {first['files']:,} files at {args.num_points:,} points in {first['dataset_s']:.1f} s = "
              f"{rate:.1f} files/s with {len(os.sched_getaffinity(0))} cores ({first['sizes']}, skipped "
              f"{first['skipped']}); {first['cpu_s']:.0f} CPU seconds (the process and its readers); peak RSS of the "
              f"preparing process {first['peak_rss_kb'] / 1024:,.0f} MiB")
        again, seconds = run_child(folder, data_dir, args.num_points)
        assert again["was_prepared"], "the second run did not find the prepared data"
        print(f"second run: the prepared dataset found in {again['dataset_s']:.2f} s (listing and fingerprinting "
              f"{again['files']:,} files by os.stat); the whole process {seconds:.1f} s, of which "
              f"{again['import_s']:.1f} s importing TensorFlow and TFDS")
    finally:
        if args.keep:
            print(f"kept {work}")
        elif args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
