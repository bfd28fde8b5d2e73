"""How much arithmetic a DCGLR step is and how fast this machine can do it.

- `analytic_step_flops(config)`: the matrix-multiply FLOPs of one DCGLR training step counted layer by layer
  from the architecture (DGCNN backbones; other backbones: the head and loss only), by part.
- `hlo_matmul_flops(hlo_text)`: the same quantity read from XLA's optimised HLO of the compiled step (every
  `dot`: 2 x output elements x contracted size), by part from each op's TensorFlow name.
- `matmul_peak_gflops()`: this machine's fp32 matrix-multiply rate, measured now, XLA-compiled and not.

FLOPs here are multiply-adds x 2 of the matrix products (kNN distances, convolutions, head, loss); the
element-wise work (batch norm, activations, the optimizer) is memory-bound and not counted.
"""

import dataclasses
import math
import re
import time

import tensorflow as tf

PARTS = ("knn", "convs", "head", "loss")


@dataclasses.dataclass
class ViewGroup:
    """Clouds that go through a network as one batched call: `clouds` x `points` points."""

    clouds: int
    points: int


def step_view_groups(config, view_shapes):
    """The teacher's and the student's batched calls of one DCGLR step, as `DCGLR.train_step` makes them.

    view_shapes: {"global": (I, n, 3), "local": (J, n_l, 3), "half": (H, n_h, 3)} per sample (see
    `dcglr_tf.data.pipeline.view_shapes`) -> (teacher groups, student groups): the teacher sees the
    global crops, the student the global crops and one call per point count of the other views.
    """
    batch = config.batch_size
    num_global, global_points, _ = view_shapes["global"]
    teacher = [ViewGroup(num_global * batch, global_points)]
    student = [ViewGroup(num_global * batch, global_points)]
    by_points = {}
    for name in ("local", "half"):
        if name in view_shapes:
            views, points, _ = view_shapes[name]
            by_points[points] = by_points.get(points, 0) + views * batch
    student += [ViewGroup(clouds, points) for points, clouds in by_points.items()]
    return teacher, student


def dgcnn_forward_flops(backbone_args, points, in_channels=3):
    """Matrix FLOPs of one DGCNN forward pass on one cloud of `points` points, by part, and the FLOPs of
    the products whose input gradient a backward pass skips (the first layer's, on the raw points)."""
    widths, k_unused, emb_dim = backbone_args["widths"], backbone_args["k"], backbone_args["emb_dim"]
    del k_unused  # the neighbour count changes element-wise work only: the convolutions run per point
    knn = convs = 0
    channels = in_channels
    for width in widths:
        knn += 2 * points * points * channels  # pairwise distances: one (N, C) x (C, N) product
        convs += 2 * (2 * points * channels * width)  # the neighbour and centre 1x1 convolutions
        channels = width
    convs += 2 * points * sum(widths) * emb_dim
    no_input_grad = 2 * (2 * points * in_channels * widths[0])
    return {"knn": knn, "convs": convs}, no_input_grad


def head_forward_flops(head, in_dim):
    """Matrix FLOPs of the DINO head on one embedding of `in_dim` (MLP, bottleneck, prototypes)."""
    widths = [in_dim] + [head.hidden_dim] * (head.num_layers - 1) + [head.bottleneck_dim, head.out_dim]
    return sum(2 * a * b for a, b in zip(widths[:-1], widths[1:]))


def analytic_step_flops(config, view_shapes, backbone_args):
    """Matrix FLOPs of one DCGLR step by part ({"knn", "convs", "head", "loss"}); None for a non-DGCNN backbone's
    parts that are not counted (and its loss with a KoLeo term, whose products need the feature width).
    backbone_args: the backbone's resolved constructor arguments (widths, k, emb_dim for DGCNN). A backward pass
    costs two products per forward product (input and weight gradients), none for the kNN distances (indices carry
    no gradient) and no input gradient for the first layer's products."""
    teacher, student = step_view_groups(config, view_shapes)
    flops = dict.fromkeys(PARTS, 0)
    dgcnn = config.backbone == "dgcnn"
    embed_dim = 2 * backbone_args["emb_dim"] if dgcnn else None
    for group, backward in [(g, False) for g in teacher] + [(g, True) for g in student]:
        if dgcnn:
            parts, no_input_grad = dgcnn_forward_flops(backbone_args, group.points)
            flops["knn"] += group.clouds * parts["knn"]
            if group is teacher[0]:  # its first-layer graph is the student's (same global crops): computed once
                flops["knn"] -= group.clouds * 2 * group.points**2 * 3
            convs = parts["convs"] * (3 if backward else 1) - (no_input_grad if backward else 0)
            flops["convs"] += group.clouds * convs
            flops["head"] += group.clouds * head_forward_flops(config.head, embed_dim) * (3 if backward else 1)
    num_global = view_shapes["global"][0]
    local_views = sum(view_shapes[name][0] for name in ("local", "half") if name in view_shapes)
    # one (I, B, K) x (V, B, K) contraction per student group set, forward and its gradient wrt the student
    flops["loss"] = 2 * 2 * num_global * (num_global + local_views) * config.batch_size * config.head.out_dim
    if config.loss.koleo_weight:  # KoLeo: per global crop, the (B, D) x (D, B) cosines (no gradient: an argmax)
        flops["loss"] = flops["loss"] + num_global * 2 * config.batch_size**2 * embed_dim if dgcnn else None
    if not dgcnn:
        flops["knn"] = flops["convs"] = flops["head"] = None
    return flops


_SHAPE = re.compile(r"^\s*(?:ROOT\s+)?%([\w.\-]+)\s*=\s*\w+\[([\d,]*)\]")
_DOT = re.compile(r"\bdot\((?:\w+\[([\d,]*)\]\S*\s+)?%([\w.\-]+)")  # optimised HLO omits operand shapes
_CONTRACT = re.compile(r"lhs_contracting_dims=\{([\d,]*)\}")
_OP_NAME = re.compile(r'op_name="([^"]*)"')
_HEAD = re.compile(r"_head(_\d+)?/")  # Keras numbers a layer's name scope on repeated calls: student_head_3/
_BACKBONE = re.compile(r"_backbone(_\d+)?/")


def _dims(text):
    return [int(d) for d in text.split(",") if d]


def hlo_matmul_flops(hlo_text):
    """FLOPs of every `dot` in an XLA HLO module's text (the models' products are all dots), by part.

    Each product is attributed from the TensorFlow op name XLA keeps in its metadata: "knn" (under the
    `knn` name scope), "head", "convs" (the backbone), else "loss". Returns {part: flops}.
    """
    shapes, flops = {}, dict.fromkeys(PARTS, 0)
    lines = hlo_text.splitlines()
    for line in lines:
        match = _SHAPE.match(line)
        if match:
            shapes[match.group(1)] = _dims(match.group(2))
    for line in lines:
        operands = _DOT.search(line)
        if not operands:
            continue
        out = shapes[_SHAPE.match(line).group(1)]
        lhs = _dims(operands.group(1)) if operands.group(1) is not None else shapes[operands.group(2)]
        contracted = math.prod(lhs[d] for d in _dims(_CONTRACT.search(line).group(1)))
        name = (_OP_NAME.search(line) or [None, ""])[1]
        part = "knn" if "/knn/" in name else "head" if _HEAD.search(name) else "loss"
        part = "convs" if part == "loss" and _BACKBONE.search(name) else part
        flops[part] += 2 * math.prod(out) * contracted
    return flops


def xla_step_flops(model, batch):
    """`hlo_matmul_flops` of a compiled DCGLR `model`'s training step on `batch` (a dict of view tensors),
    from the optimised program XLA builds for it (one more compilation)."""
    step = tf.function(model.train_step, jit_compile=True)
    return hlo_matmul_flops(step.experimental_get_compiler_ir(batch)(stage="optimized_hlo"))


def matmul_peak_gflops(size=2048, repeats=5):
    """The best fp32 rates (GFLOP/s) of a (size x size) x (size x size) product: {"xla": XLA-compiled,
    "tensorflow": TensorFlow's own kernel (oneDNN)}; the machine's peak is the larger."""
    a = tf.random.normal([size, size])
    b = tf.random.normal([size, size])
    rates = {}
    for name, jit in (("xla", True), ("tensorflow", False)):
        product = tf.function(lambda x, y: tf.reduce_sum(tf.matmul(x, y)), jit_compile=jit)
        product(a, b).numpy()
        best = math.inf
        for _ in range(repeats):
            start = time.perf_counter()
            product(a, b).numpy()
            best = min(best, time.perf_counter() - start)
        rates[name] = 2 * size**3 / best / 1e9
    return rates
