"""Distribution strategies for pre-training: one device, MirroredStrategy (the GPUs, or logical CPUs, of one
machine) and MultiWorkerMirroredStrategy over several machines, configured by `TF_CONFIG`.

Every worker of a multi-worker run executes the same command. Worker 0 (or the "chief" task, if the cluster has
one) is the chief: it alone writes the run directory; the others write to a temporary directory that is deleted
at the end (`worker_output_dir`), as TensorFlow's multi-worker guide does, because saving reads variables that
every worker must read together.
"""

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import tensorflow as tf

STRATEGIES = ("default", "mirrored", "multi_worker")
WORKER_JOBS = ("chief", "worker")


def split_cpu(num_devices):
    """Expose the CPU as `num_devices` logical devices (to run MirroredStrategy on one machine without
    GPUs). Must be called before TensorFlow initialises its devices."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * num_devices)
    except RuntimeError as error:
        if len(tf.config.list_logical_devices("CPU")) != num_devices:
            raise RuntimeError(f"cannot split the CPU into {num_devices} devices after TensorFlow started: {error}")


def read_tf_config(environ=None):
    """This process's `TF_CONFIG` (JSON: "cluster" = job name -> ["host:port", ...], "task" = {"type",
    "index"}), checked. Raises a one-line ValueError naming TF_CONFIG and what is wrong."""
    raw = (os.environ if environ is None else environ).get("TF_CONFIG", "").strip()
    example = '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, "task": {"type": "worker", "index": 0}}'
    if not raw:
        raise ValueError(f"--strategy=multi_worker needs the environment variable TF_CONFIG, e.g. TF_CONFIG='{example}'")
    try:
        config = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ValueError(f"TF_CONFIG is not valid JSON ({error.msg} at character {error.pos}): {raw[:80]!r}") from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not cluster:
        raise ValueError(f"TF_CONFIG has no \"cluster\" (job name -> list of \"host:port\"), e.g. {example}")
    for job, addresses in cluster.items():
        if not isinstance(addresses, list) or not addresses or not all(
            isinstance(a, str) and a.rpartition(":")[2].isdigit() for a in addresses
        ):
            raise ValueError(f"TF_CONFIG cluster job {job!r} must be a non-empty list of \"host:port\", got {addresses!r}")
    unknown = sorted(set(cluster) - set(WORKER_JOBS))
    if unknown:
        raise ValueError(f"TF_CONFIG cluster has jobs {unknown}; multi-worker training uses only {list(WORKER_JOBS)}")
    task = config.get("task")
    if not isinstance(task, dict) or "type" not in task or "index" not in task:
        raise ValueError(f"TF_CONFIG has no \"task\" with \"type\" and \"index\" for this process, e.g. {example}")
    if task["type"] not in cluster:
        raise ValueError(f"TF_CONFIG task type {task['type']!r} is not a job of its cluster ({', '.join(cluster)})")
    jobs = cluster[task["type"]]
    if not isinstance(task["index"], int) or not 0 <= task["index"] < len(jobs):
        raise ValueError(f"TF_CONFIG task index {task['index']!r} is not one of the {len(jobs)} {task['type']!r} addresses")
    return config


_WATCHDOG = """
import os, signal, sys, time
parent, seconds, message = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
time.sleep(seconds)
if os.getppid() == parent:
    print("error: " + message, file=sys.stderr, flush=True)
    os.kill(parent, signal.SIGKILL)
"""


@contextlib.contextmanager
def deadline(seconds, message):
    """Run the block; if it has not finished after `seconds`, print `error: message` and kill the process
    (SIGKILL: TensorFlow handles SIGTERM). For TensorFlow calls that wait for other machines without a timeout
    while holding Python's lock, so that no thread of this process could end the wait: a watchdog process does."""
    watchdog = subprocess.Popen(
        [sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(seconds), message], stdin=subprocess.DEVNULL
    )
    try:
        yield
    finally:
        watchdog.kill()
        watchdog.wait()


def make_strategy(name, cluster_timeout=300):
    """"default" (one device), "mirrored" (all local GPUs, else all logical CPUs) or "multi_worker"
    (MultiWorkerMirroredStrategy from TF_CONFIG, see `read_tf_config`). A multi-worker cluster that has not
    formed after `cluster_timeout` seconds ends the process with an error naming its addresses (`deadline`;
    TensorFlow would wait forever). Call before TensorFlow runs anything when `name` is "multi_worker"."""
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    if name == "multi_worker":
        config = read_tf_config()
        addresses = [address for job in WORKER_JOBS for address in config["cluster"].get(job, [])]
        message = (
            f"the multi-worker cluster did not form within {cluster_timeout:g} s: not every worker of TF_CONFIG "
            f"({', '.join(addresses)}) was reachable and running the same command (raise --cluster_timeout if "
            f"workers start later)"
        )
        with deadline(cluster_timeout, message):
            return tf.distribute.MultiWorkerMirroredStrategy(
                cluster_resolver=tf.distribute.cluster_resolver.TFConfigClusterResolver()
            )
    raise ValueError(f"unknown strategy {name!r}; choose one of: {', '.join(STRATEGIES)}")


def is_multi_worker(strategy):
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def strategy_name(strategy):
    """The public class name of a strategy (MultiWorkerMirroredStrategy's own class is named otherwise)."""
    if is_multi_worker(strategy):
        return "MultiWorkerMirroredStrategy"
    name = type(strategy).__name__
    return "default (one device)" if name.startswith("_Default") else name


def worker_name(strategy):
    """"chief" / "worker 1" ... of a multi-worker strategy; "" on one machine."""
    if not is_multi_worker(strategy):
        return ""
    resolver = strategy.cluster_resolver
    return "chief" if is_chief(strategy) else f"{resolver.task_type} {resolver.task_id}"


def is_chief(strategy):
    """True on one machine and on the multi-worker chief (task "chief", else worker 0)."""
    if not is_multi_worker(strategy):
        return True
    resolver = strategy.cluster_resolver
    has_chief = "chief" in resolver.cluster_spec().jobs
    return resolver.task_type == "chief" or (not has_chief and resolver.task_type == "worker" and resolver.task_id == 0)


@contextlib.contextmanager
def worker_output_dir(output_dir, strategy):
    """Where this worker writes: `output_dir` on the chief; a temporary directory, deleted afterwards, on the
    other workers of a multi-worker run."""
    if is_chief(strategy):
        yield output_dir
        return
    scratch = tempfile.mkdtemp(prefix="dcglr_worker_")
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def same_on_all_workers(strategy, value, what):
    """Check that an integer `value` is the same on every worker (all workers must call this); ValueError
    naming `what` otherwise. On one machine it returns at once."""
    if not is_multi_worker(strategy):
        return
    local = strategy.experimental_distribute_values_from_function(lambda _: tf.constant([int(value)], tf.int64))
    values = sorted(set(strategy.gather(local, axis=0).numpy().tolist()))
    if len(values) > 1:
        raise ValueError(f"the workers disagree on {what}: {values}")
