"""Result files and printed tables shared by the evaluation tasks."""

import json
import os


def default_result_path(encoder, task, dataset, backbone=None):
    """Where a result goes without --output: next to an exported encoder, or runs/random-<backbone>/."""
    if encoder == "random":
        folder = os.path.join("runs", f"random-{backbone}")
    else:
        folder = os.path.dirname(os.path.abspath(encoder.rstrip("/")))
    return os.path.join(folder, f"eval_{task}_{dataset}.json")


def write_result(result, path):
    """Write `result` (a JSON-able dict) to `path`, creating folders; returns the path."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(result, f, indent=2, sort_keys=True)
    return path


def format_table(headers, rows):
    """A plain-text table: headers (list of str), rows (list of lists of str/float)."""
    cells = [[f"{c:.4f}" if isinstance(c, float) else str(c) for c in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    line = lambda values: "  ".join(str(v).ljust(w) for v, w in zip(values, widths))  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in cells])
