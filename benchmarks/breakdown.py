"""Where a DCGLR training step's time goes, part by part.

`step_breakdown(model, config, view_shapes, steps, warmup)` times each part of the step as its own
XLA-compiled function at the step's real shapes, with the model's own layers and ops: the teacher's calls
forward only, the student's forward and backward (gradients for the inputs and the part's weights), one call
per view group exactly as `DCGLR.train_step` batches them (see `flops.step_view_groups`). Parts (DGCNN):
kNN graph (distances + top-k), edge gathers (max and sum over the neighbours), convolutions (the 1x1
matrix products), batch norm (in-degrees, edge statistics, normalisation and activation, also of the last layer), head,
loss, optimizer, EMA. Other backbones get one "backbone" part. The parts run separately, so their sum differs
from the whole step by what fusion across parts saves and what pooling, concatenation and copies cost.
"""

import statistics
import time

import tensorflow as tf
from flops import step_view_groups

from dcglr_tf.losses import dcglr_loss
from dcglr_tf.ops.points import knn, neighbour_counts, neighbour_max_and_sum


def median_seconds(fn, args, steps, warmup):
    """Median wall time of `fn(*args)` (outputs fetched) over `steps` calls after `warmup` calls."""
    for _ in range(max(warmup, 1)):
        tf.nest.map_structure(lambda t: t.numpy(), fn(*args))
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        tf.nest.map_structure(lambda t: t.numpy(), fn(*args))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def with_backward(forward, weights, watch_first=True):
    """forward(*inputs) -> list of float tensors  ==>  a function that also returns the gradients of the sum of
    their squares wrt the float inputs (all but the first unless `watch_first`) and `weights`: the backward work
    a training step does for these ops, with a cotangent that depends on the data as a real one does."""

    def run(*inputs):
        watched = [x for x in inputs[0 if watch_first else 1:] if x.dtype.is_floating]
        with tf.GradientTape() as tape:
            tape.watch(watched)
            outputs = forward(*inputs)
            loss = tf.add_n([tf.reduce_sum(tf.square(y)) for y in outputs])
        return outputs + tape.gradient(loss, watched + list(weights), unconnected_gradients="zero")

    return run


def _compiled(fn):
    return tf.function(fn, jit_compile=True, autograph=False)


def _dgcnn_group_parts(backbone, group, backward, skip_first_graph, steps, warmup):
    """Seconds of each DGCNN part for one batched call of `group.clouds` clouds of `group.points` points."""
    normal = lambda *shape: tf.random.normal(shape)  # noqa: E731
    convs = backbone.edge_convs
    inputs = [normal(group.clouds, group.points, c) for c in [3] + [conv.units for conv in convs[:-1]]]
    idx = [knn(x, x, backbone.k) for x in inputs]
    neighbours = [normal(group.clouds, group.points, conv.units) for conv in convs]
    centres = [normal(group.clouds, group.points, conv.units) for conv in convs]
    reduced = [neighbour_max_and_sum(a, i) for a, i in zip(neighbours, idx)]
    concat = normal(group.clouds, group.points, backbone.point_feature_dim)
    embed_dense, embed_norm = backbone.embed.denses[0], backbone.embed.norms[0]
    embedded = normal(group.clouds, group.points, backbone.emb_dim)

    def graphs(*xs):
        return [knn(x, x, backbone.k) for x in xs]

    def products(*xs):
        out = []
        for conv, x in zip(convs, xs[:-1]):
            a = conv.neighbour(x)
            out += [a, conv.centre(x) - a]
        return out + [embed_dense(xs[-1])]

    def gathers(*tensors):
        return [t for a, i in zip(tensors[0::2], tensors[1::2]) for t in neighbour_max_and_sum(a, i)]

    def norms(*tensors):
        *per_layer, last = tensors
        out = []
        for conv, (centre, extreme, total, a, i) in zip(convs, zip(*[iter(per_layer)] * 5)):
            squares = neighbour_counts(i, group.points)[:, :, None] * tf.square(a)
            out.append(conv.normalised_max(centre, extreme, total, squares, backbone.k, training=True))
        return out + [backbone.embed._activate(embed_norm(last, training=True))]

    conv_weights = [w for conv in convs for w in (conv.neighbour.kernel, conv.centre.kernel)] + [embed_dense.kernel]
    norm_weights = [w for conv in convs for w in (conv.norm.gamma, conv.norm.beta)] + embed_norm.trainable_weights
    norm_args = [t for parts in zip(centres, *zip(*reduced), neighbours, idx) for t in parts] + [embedded]
    timed = {  # part: (function, inputs, weights or None for no backward, gradient for the first input)
        "kNN graph": (graphs, inputs[1:] if skip_first_graph else inputs, None, False),
        "edge gathers": (gathers, [t for pair in zip(neighbours, idx) for t in pair], [], True),
        "convolutions": (products, inputs + [concat], conv_weights, False),  # the raw points get no gradient
        "batch norm": (norms, norm_args, norm_weights, True),
    }
    seconds = {}
    for part, (fn, args, weights, watch_first) in timed.items():
        if backward and weights is not None:
            fn = with_backward(fn, weights, watch_first)
        seconds[part] = median_seconds(_compiled(fn), args, steps, warmup)
    return seconds


def step_breakdown(model, config, view_shapes, steps=3, warmup=1):
    """Seconds per part of one DCGLR step ({part: seconds}) for a built and compiled DCGLR `model`."""
    teacher_groups, student_groups = step_view_groups(config, view_shapes)
    backbone, head = model.student_backbone, model.student_head
    seconds = {}

    def add(part, value):
        seconds[part] = seconds.get(part, 0.0) + value

    calls = [(g, False) for g in teacher_groups] + [(g, True) for g in student_groups]
    for index, (group, backward) in enumerate(calls):
        if config.backbone == "dgcnn":
            # the teacher's first graph is the student's on the same crops: XLA computes it once per step
            parts = _dgcnn_group_parts(backbone, group, backward, index == 0, steps, warmup)
            for part, value in parts.items():
                add(part, value)
        else:
            points = tf.random.normal([group.clouds, group.points, 3])
            forward = lambda p: [backbone(p, training=True)]  # noqa: E731
            fn = with_backward(forward, backbone.trainable_weights) if backward else forward
            add("backbone", median_seconds(_compiled(fn), [points], steps, warmup))
        features = tf.random.normal([group.clouds, backbone.output_dim])
        forward = lambda f: [head(f, training=True)]  # noqa: E731
        fn = with_backward(forward, head.trainable_weights) if backward else forward
        add("head", median_seconds(_compiled(fn), [features], steps, warmup))

    num_global = view_shapes["global"][0]
    num_local = sum(view_shapes[name][0] for name in ("local", "half") if name in view_shapes)
    logits = lambda views: tf.random.normal([views, config.batch_size, config.head.out_dim])  # noqa: E731
    loss = with_backward(lambda t, g, loc: list(dcglr_loss(t, g, loc, model.center)[:2]), [])
    loss_inputs = [logits(num_global), logits(num_global), logits(num_local)]
    add("loss", median_seconds(_compiled(loss), loss_inputs, steps, warmup))

    variables = model.trainable_variables
    grads = [tf.random.normal(v.shape) * 1e-3 for v in variables]

    def optimizer_step(*grads):  # DCGLR clips each gradient, then AdamW
        model.optimizer.apply_gradients(zip([tf.clip_by_norm(g, 3.0) for g in grads], variables))
        return [tf.constant(0.0)]

    add("optimizer", median_seconds(_compiled(optimizer_step), grads, steps, warmup))

    def ema():
        for teacher_var, student_var in model._ema_pairs:
            teacher_var.assign(0.996 * teacher_var + 0.004 * student_var)
        return [tf.constant(0.0)]

    add("EMA", median_seconds(_compiled(ema), [], steps, warmup))
    return seconds


def format_breakdown(seconds, step_seconds):
    """Lines 'part  seconds  share of the step', then the sum of the parts and its share."""
    lines = [f"  {part:14s} {value:7.3f} s  {100 * value / step_seconds:5.1f} %" for part, value in seconds.items()]
    total = sum(seconds.values())
    share = 100 * total / step_seconds
    lines.append(f"  {'sum of parts':14s} {total:7.3f} s  {share:5.1f} % of the step ({step_seconds:.3f} s)")
    return lines

