"""Preparation speed and memory of a real-data builder on a ModelNet40-h5-sized set.

Writes 12,311 clouds x 2048 points (9,843 train / 2,468 test by default) in the exact `modelnet40_ply_hdf5_2048`
format into a temporary directory (files of 2048 clouds, as the release), prepares it with the `modelnet40_h5`
builder through `dcglr_tf.data.sources` in a child process, and prints examples/s and the child's peak RSS
(so the generation of the input files does not count), then the read-back throughput of the prepared split.

    python benchmarks/benchmark_prepare.py            # full size
    python benchmarks/benchmark_prepare.py --train=1024 --test=256   # quick check
"""

import argparse
import json
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
PER_FILE = 2048


def write_files(manual: pathlib.Path, train: int, test: int, seed: int = 0) -> int:
    """The modelnet40_ply_hdf5_2048 layout, written file by file (memory: one file's array)."""
    import h5py
    import numpy as np
    sys.path.insert(0, str(REPO))
    from datasets._builder_utils import MODELNET40_CLASS_NAMES

    rng = np.random.default_rng(seed)
    folder = manual / "modelnet40_ply_hdf5_2048"
    folder.mkdir(parents=True)
    (folder / "shape_names.txt").write_text("\n".join(MODELNET40_CLASS_NAMES) + "\n")
    total_bytes = 0
    for split, count in (("train", train), ("test", test)):
        lines = []
        for i, start in enumerate(range(0, count, PER_FILE)):
            n = min(PER_FILE, count - start)
            data = rng.standard_normal((n, 2048, 3), dtype=np.float32)
            data /= np.linalg.norm(data, axis=2, keepdims=True).max(axis=1, keepdims=True)
            label = rng.integers(0, 40, size=(n, 1)).astype(np.uint8)
            name = f"ply_data_{split}{i}.h5"
            with h5py.File(folder / name, "w") as f:
                f.create_dataset("data", data=data)
                f.create_dataset("label", data=label)
            total_bytes += (folder / name).stat().st_size
            lines.append(f"data/modelnet40_ply_hdf5_2048/{name}")
        (folder / f"{split}_files.txt").write_text("\n".join(lines) + "\n")
    return total_bytes


def prepare_child(manual: str, data_dir: str) -> None:
    """Runs in the child: import, prepare, report."""
    sys.path.insert(0, str(REPO))
    t0 = time.perf_counter()
    from dcglr_tf.data import sources
    sources.class_names("modelnet40_h5", data_dir=data_dir)  # builder module and TFDS machinery loaded
    t1 = time.perf_counter()
    rss_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sources.prepare("modelnet40_h5", data_dir=data_dir, manual_dir=manual)
    t2 = time.perf_counter()
    rss_prepare = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    n = sum(sources.num_examples("modelnet40_h5", s, data_dir=data_dir) for s in ("train", "test"))
    ds = sources.load_split("modelnet40_h5", "train", data_dir=data_dir).batch(64)
    t3 = time.perf_counter()
    read = sum(int(batch["points"].shape[0]) for batch in ds)
    t4 = time.perf_counter()
    print(json.dumps({"examples": n, "import_s": t1 - t0, "prepare_s": t2 - t1,
                      "peak_rss_prepare_kb": rss_prepare, "rss_import_kb": rss_import, "read_examples": read, "read_s": t4 - t3}))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=int, default=9843)
    parser.add_argument("--test", type=int, default=2468)
    parser.add_argument("--workdir", default=None, help="where to write (default: a fresh temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the generated and prepared files")
    parser.add_argument("--_child", nargs=2, metavar=("MANUAL", "DATA_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._child:
        prepare_child(*args._child)
        return

    work = pathlib.Path(args.workdir or tempfile.mkdtemp(prefix="dcglr_prepare_bench_"))
    manual, data_dir = work / "manual", work / "data"
    try:
        t0 = time.perf_counter()
        size = write_files(manual, args.train, args.test)
        print(f"wrote {args.train + args.test} clouds x 2048 points in modelnet40_ply_hdf5_2048 format "
              f"({size / 2**20:.0f} MiB) in {time.perf_counter() - t0:.1f} s")
        out = subprocess.run([sys.executable, __file__, "--_child", str(manual), str(data_dir)],
                             capture_output=True, text=True)
        if out.returncode:
            sys.exit(f"preparation failed:\n{out.stderr[-4000:]}")
        result = json.loads(out.stdout.strip().splitlines()[-1])
        peak_child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        prepared = sum(p.stat().st_size for p in data_dir.rglob("*") if p.is_file())
        print(f"prepare modelnet40_h5: {result['examples']} examples in {result['prepare_s']:.1f} s = "
              f"{result['examples'] / result['prepare_s']:.0f} examples/s "
              f"({result['examples'] * 2048 * 12 / 2**20 / result['prepare_s']:.0f} MiB/s of points)")
        print(f"peak RSS of the preparing process: {result['peak_rss_prepare_kb'] / 1024:.0f} MiB, of which "
              f"{result['rss_import_kb'] / 1024:.0f} MiB after importing TF/TFDS and the builder (before "
              f"preparing; import took {result['import_s']:.1f} s); whole child incl. read-back: "
              f"{peak_child_kb / 1024:.0f} MiB")
        print(f"prepared size on disk: {prepared / 2**20:.0f} MiB")
        print(f"read back train: {result['read_examples']} examples in {result['read_s']:.1f} s = "
              f"{result['read_examples'] / result['read_s']:.0f} examples/s")
    finally:
        if args.keep:
            print(f"kept {work}")
        elif args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
