"""DCGLR's losses: the teacher-to-student cross-entropies between global and local views (eqs. 8-11 of the paper)
and the KoLeo spreading term (DINOv2). Plain `keras.ops`, float32."""

from keras import ops


def dcglr_loss(teacher_logits, student_global, student_local, center, teacher_temp=0.04, student_temp=0.1):
    """DCGLR's global-to-global and local-to-global cross-entropies (eqs. 8, 10, 11).

    `loss_g` is the mean over ordered pairs i != j of H(softmax((t_i - c) / tau_t), log_softmax(s_j / tau_s)),
    each averaged over the batch; `loss_l` is the same cross-entropy's mean over all (global i, local j) pairs.

    Args:
        teacher_logits: (I, B, K) float32, the teacher's outputs of the I global crops of B clouds.
        student_global: (I, B, K) float32, the student's outputs of the same global crops.
        student_local: (V, B, K) float32, the student's outputs of the V local views, or None.
        center: (K,) or (1, K) float32, the centre c subtracted from the teacher's logits.
        teacher_temp: float, the teacher's temperature tau_t.
        student_temp: float, the student's temperature tau_s.

    Returns:
        Tuple `(loss_g, loss_l, teacher_probs)`: two float32 scalars (`loss_l` is 0 when `student_local` is None)
        and the (I, B, K) teacher targets softmax((t - c) / tau_t), gradients stopped.
    """
    targets = ops.stop_gradient(ops.softmax((teacher_logits - center) / teacher_temp, axis=-1))
    num_global = ops.shape(teacher_logits)[0]
    batch = ops.cast(ops.shape(teacher_logits)[1], "float32")

    def pair_cross_entropy(student):  # (V, B, K) -> (I, V) batch-mean cross-entropies
        log_probs = ops.log_softmax(student / student_temp, axis=-1)
        return -ops.einsum("ibk,jbk->ij", targets, log_probs) / batch

    global_ce = pair_cross_entropy(student_global)
    off_diagonal = 1.0 - ops.eye(num_global, dtype=global_ce.dtype)
    loss_g = ops.sum(global_ce * off_diagonal) / ops.sum(off_diagonal)
    loss_l = ops.zeros((), "float32") if student_local is None else ops.mean(pair_cross_entropy(student_local))
    return loss_g, loss_l, targets


def koleo_loss(features, eps=1e-8):
    """KoLeo regulariser (DINOv2; Sablayrolles et al. 2019): -mean_i log ||x_i - x_nn(i)||.

    x are the L2-normalised features and nn(i) the nearest other row (largest cosine). Lowering it spreads a
    batch's embeddings evenly over the sphere.

    Args:
        features: (B, D) float features.
        eps: small float guarding the normalisation, the distances and the log.

    Returns:
        Scalar loss, (B, D) -> ().
    """
    x = features / ops.sqrt(ops.maximum(ops.sum(features * features, axis=-1, keepdims=True), eps * eps))
    similarity = ops.matmul(x, ops.transpose(x)) - 3.0 * ops.eye(ops.shape(x)[0], dtype=x.dtype)  # never self
    neighbours = ops.take(x, ops.argmax(ops.stop_gradient(similarity), axis=-1), axis=0)
    distances = ops.sqrt(ops.sum(ops.square(x - neighbours + eps), axis=-1))
    return -ops.mean(ops.log(distances + eps))
