"""Runs one evaluation task from parsed `evaluate.py` arguments: encoder(s) -> protocol -> printed table +
JSON result (+ pictures).

Each task's glue lives in its own module as `run_<task>(args, spec, ctx, log)` (one encoder `spec`; `ctx` holds
the picture directory and what a task shares across encoders); `TASK_RUNNERS` is the one table of tasks.
Every result holds task, dataset, encoder, settings, seeds and metrics (plus features: what was embedded, and
pictures: the PNG files written). With several encoders (`--compare`), the result holds one such entry per
encoder under "results" and a side-by-side table under "table".
"""

import os

from dcglr_tf.data import sources
from dcglr_tf.data.preparation import tfds_bars_on_terminals_only
from dcglr_tf.evaluation.report import default_result_path, format_table, write_result
from dcglr_tf.evaluation.spectrum import plot_spectra
from dcglr_tf.evaluation.tasks.attention import run_attention
from dcglr_tf.evaluation.tasks.common import data_label, json_safe, task_datasets
from dcglr_tf.evaluation.tasks.features import parse_encoder_spec
from dcglr_tf.evaluation.tasks.fewshot import run_fewshot
from dcglr_tf.evaluation.tasks.finetune import run_finetune
from dcglr_tf.evaluation.tasks.knn import run_knn
from dcglr_tf.evaluation.tasks.partseg import run_partseg
from dcglr_tf.evaluation.tasks.retrieval import run_retrieval
from dcglr_tf.evaluation.tasks.robustness import run_robustness
from dcglr_tf.evaluation.tasks.segmentation import run_segmentation
from dcglr_tf.evaluation.tasks.spectrum import run_spectrum
from dcglr_tf.evaluation.tasks.svm import run_svm
from dcglr_tf.evaluation.tasks.transfer import run_transfer
from dcglr_tf.evaluation.tasks.tsne import run_tsne

TASK_RUNNERS = {"svm": run_svm, "knn": run_knn, "finetune": run_finetune, "segmentation": run_segmentation,
                "robustness": run_robustness, "tsne": run_tsne, "spectrum": run_spectrum, "attention": run_attention,
                "retrieval": run_retrieval, "fewshot": run_fewshot, "partseg": run_partseg, "transfer": run_transfer}


def _check_args(args):
    if args.task not in TASK_RUNNERS:
        raise ValueError(f"unknown task {args.task!r}; choose one of: {', '.join(TASK_RUNNERS)}")
    datasets = task_datasets(args)
    for dataset in datasets:
        sources.dataset_info(dataset)  # unknown names -> ValueError listing the valid ones
    if len(datasets) > 1 and args.task != "robustness":
        raise ValueError(f"several --dataset values are supported by --task=robustness only, not {args.task!r}")
    specs = list(getattr(args, "compare", None) or [args.encoder])
    if not specs or specs == [None]:
        raise ValueError("give --encoder=PATH|random or --compare ENC1 ENC2 ...")
    for spec in specs:
        path, backbone = parse_encoder_spec(spec, args.backbone)
        if path == "random" and not backbone:
            raise ValueError("--encoder=random needs --backbone=NAME (or write random:NAME in --compare)")
    return specs


def run_task(args, log=print):
    """Run `args.task` for each encoder, write its JSON result (and pictures), return the result dict."""
    specs = _check_args(args)
    tfds_bars_on_terminals_only(log)  # datasets a task prepares: TFDS's start and end lines in a log
    dataset_label = data_label(args)
    first_path, first_backbone = parse_encoder_spec(specs[0], args.backbone)
    task_label = args.task if len(specs) == 1 else f"{args.task}_compare"
    path = args.output or default_result_path(first_path, task_label, dataset_label, first_backbone)
    ctx = {"picture_dir": getattr(args, "output_dir", None) or os.path.dirname(os.path.abspath(path))}
    results = []
    for spec in specs:
        if len(specs) > 1:
            log(f"=== {args.task}: {spec}")
        results.append(TASK_RUNNERS[args.task](args, spec, ctx, log=log))
    if len(results) == 1:
        result = results[0]
    else:
        keys = list(dict.fromkeys(k for r in results for k in r["summary"]))
        rows = [[r["encoder"]] + [r["summary"].get(k, "-") for k in keys] for r in results]
        table = {"headers": ["encoder"] + keys, "rows": rows}
        result = {"task": args.task, "dataset": dataset_label, "encoder": [r["encoder"] for r in results],
                  "compare": specs, "settings": results[0]["settings"], "seeds": results[0]["seeds"],
                  "metrics": {r["encoder"]: r["metrics"] for r in results}, "results": results, "table": table}
        if args.task == "spectrum":
            picture = os.path.join(ctx["picture_dir"], f"spectrum_{dataset_label}_compare.png")
            clouds = results[0]["settings"]["clouds"]
            plot_spectra(ctx["spectra"], picture, f"Feature covariance spectra: {dataset_label} train split, {clouds} clouds")
            result["pictures"] = [picture]
        log("\n" + format_table(table["headers"], rows))
    write_result(json_safe(result), path)
    log(f"result written to {path}")
    for picture in result.get("pictures", []) if isinstance(result.get("pictures"), list) else []:
        log(f"picture written to {picture}")
    return json_safe(result)
