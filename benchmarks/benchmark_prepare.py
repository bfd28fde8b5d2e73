"""Preparation speed and memory of a real-data builder on a set of the real archive's size.

Writes the real archive's layout with `write_benchmark_data.py` into a temporary directory: ModelNet40 h5 (12,308
clouds x 2048 points, 9,840 train / 2,468 test by default, files of 2048 clouds as the release), ScanObjectNN
PB_T50_RS (11,416 / 2,882) or ShapeNetPart (12,137 / 1,870 / 2,874 text files of 1,500-3,500 points). Prepares it
with the builder through `dcglr_tf.data.sources` in a child process, and prints examples/s and the child's peak
RSS (so the generation of the input files does not count), then the read-back throughput of the train split.

    python benchmarks/benchmark_prepare.py                                  # modelnet40_h5, full size
    python benchmarks/benchmark_prepare.py --train=1024 --test=256          # quick check
    python benchmarks/benchmark_prepare.py --dataset=shapenetpart           # 16,881 text files
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


DEFAULT_SIZES = {"modelnet40_h5": {"train": 9840, "test": 2468}, "scanobjectnn": {"train": 11416, "test": 2882},
                 "shapenetpart": {"train": 12137, "val": 1870, "test": 2874}}


def write_files(dataset: str, manual: pathlib.Path, sizes, seed: int = 0) -> int:
    """The real archive's layout (write_benchmark_data.py), file by file; returns the bytes written."""
    sys.path.insert(0, str(REPO))
    from benchmarks import write_benchmark_data as writers

    if dataset == "modelnet40_h5":
        writers.write_modelnet40_h5(manual, seed=seed, **sizes)
    elif dataset == "scanobjectnn":
        writers.write_scanobjectnn(manual, variants=("pb_t50_rs",), sizes=sizes, seed=seed)
    else:
        writers.write_shapenetpart(manual, seed=seed, **sizes)
    return sum(p.stat().st_size for p in manual.rglob("*") if p.is_file())


def prepare_child(dataset: str, manual: str, data_dir: str) -> None:
    """Runs in the child: import, prepare, report."""
    sys.path.insert(0, str(REPO))
    t0 = time.perf_counter()
    from dcglr_tf.data import sources
    sources.class_names(dataset, data_dir=data_dir)  # builder module and TFDS machinery loaded
    t1 = time.perf_counter()
    rss_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sources.prepare(dataset, data_dir=data_dir, manual_dir=manual)
    t2 = time.perf_counter()
    rss_prepare = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    n = sum(sources.num_examples(dataset, s, data_dir=data_dir) for s in sources.dataset_info(dataset).splits)
    ds = sources.load_split(dataset, "train", data_dir=data_dir).batch(64)
    t3 = time.perf_counter()
    read = sum(int(batch["points"].shape[0]) for batch in ds)
    t4 = time.perf_counter()
    print(json.dumps({"examples": n, "import_s": t1 - t0, "prepare_s": t2 - t1,
                      "peak_rss_prepare_kb": rss_prepare, "rss_import_kb": rss_import, "read_examples": read, "read_s": t4 - t3,
                      "peak_rss_end_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=sorted(DEFAULT_SIZES), default="modelnet40_h5")
    parser.add_argument("--train", type=int, help="train examples (default: the real archive's count)")
    parser.add_argument("--val", type=int, help="shapenetpart: val shapes")
    parser.add_argument("--test", type=int, help="test examples (default: the real archive's count)")
    parser.add_argument("--workdir", default=None, help="where to write (default: a fresh temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the generated and prepared files")
    parser.add_argument("--_child", nargs=3, metavar=("DATASET", "MANUAL", "DATA_DIR"), help=argparse.SUPPRESS)
    parser.add_argument("--_write", nargs=3, metavar=("DATASET", "MANUAL", "SIZES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._child:
        prepare_child(*args._child)
        return
    if args._write:
        print(write_files(args._write[0], pathlib.Path(args._write[1]), json.loads(args._write[2])))
        return

    work = pathlib.Path(args.workdir or tempfile.mkdtemp(prefix="dcglr_prepare_bench_"))
    manual, data_dir = work / "manual", work / "data"
    try:
        t0 = time.perf_counter()
        sizes = {split: getattr(args, split) or n for split, n in DEFAULT_SIZES[args.dataset].items()}
        # Both steps in child processes: a child inherits its parent's peak RSS (Linux keeps ru_maxrss across
        # fork and exec), so this process stays small and the preparing child's figure is its own.
        written = subprocess.run([sys.executable, __file__, "--_write", args.dataset, str(manual), json.dumps(sizes)],
                                 capture_output=True, text=True)
        if written.returncode:
            sys.exit(f"writing the input files failed:\n{written.stderr[-4000:]}")
        size = int(written.stdout.strip().splitlines()[-1])
        print(f"wrote {sum(sizes.values())} examples ({sizes}) in the {args.dataset} archive's format "
              f"({size / 2**20:.0f} MiB) in {time.perf_counter() - t0:.1f} s")
        out = subprocess.run([sys.executable, __file__, "--_child", args.dataset, str(manual), str(data_dir)],
                             capture_output=True, text=True)
        if out.returncode:
            sys.exit(f"preparation failed:\n{out.stderr[-4000:]}")
        result = json.loads(out.stdout.strip().splitlines()[-1])
        prepared = sum(p.stat().st_size for p in data_dir.rglob("*") if p.is_file())
        print(f"prepare {args.dataset}: {result['examples']} examples in {result['prepare_s']:.1f} s = "
              f"{result['examples'] / result['prepare_s']:.0f} examples/s "
              f"({result['examples'] * 2048 * 12 / 2**20 / result['prepare_s']:.0f} MiB/s of points)")
        print(f"peak RSS of the preparing process: {result['peak_rss_prepare_kb'] / 1024:.0f} MiB, of which "
              f"{result['rss_import_kb'] / 1024:.0f} MiB after importing TF/TFDS and the builder (before "
              f"preparing; import took {result['import_s']:.1f} s); whole child incl. read-back: "
              f"{result['peak_rss_end_kb'] / 1024:.0f} MiB")
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
