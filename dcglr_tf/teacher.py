"""The EMA teacher and its centre (steps 6-7 of the method).

The teacher has the student's architecture, starts as a copy of it and never receives gradients: after every
optimizer step each of its weights, batch-norm statistics included, moves towards the student's,
`teacher <- m * teacher + (1 - m) * student`, with the momentum m on a cosine from 0.996 to 1 over training. The
centre subtracted from the teacher's outputs follows the mean output of the global batch (all replicas),
`c <- q * c + (1 - q) * mean(o_t)`.
"""

import tensorflow as tf
from keras import ops


def teacher_student_pairs(teachers, students):
    """Pairs every weight (batch-norm statistics included) of each teacher model with its student's, in layer order.

    Args:
        teachers: sequence of built Keras layers or models.
        students: sequence of built Keras layers or models, of the teachers' architectures in the same order.

    Returns:
        List of `(teacher variable, student variable)` tuples.

    Raises:
        RuntimeError: when a teacher and its student differ in their number of weights or a weight's shape.
    """
    pairs = []
    for teacher, student in zip(teachers, students):
        teacher_vars, student_vars = teacher.weights, student.weights
        if len(teacher_vars) != len(student_vars):
            raise RuntimeError(f"teacher {teacher.name} and student {student.name} have different weights")
        for t, s in zip(teacher_vars, student_vars):
            if tuple(t.shape) != tuple(s.shape):
                raise RuntimeError(f"teacher weight {t.path} {t.shape} does not match student {s.path} {s.shape}")
            pairs.append((t, s))
    return pairs


def ema_update(pairs, momentum):
    """`teacher <- momentum * teacher + (1 - momentum) * student` for every (teacher, student) variable pair.

    Args:
        pairs: list of `(teacher variable, student variable)`, from `teacher_student_pairs`.
        momentum: scalar float (tensor or number), the teacher's share.
    """
    for teacher_var, student_var in pairs:
        teacher_var.assign(momentum * teacher_var + (1.0 - momentum) * student_var)


def update_center(center, teacher_logits, momentum):
    """`center <- momentum * center + (1 - momentum) * mean(teacher_logits)`, the mean over the global batch.

    The mean covers every view and cloud of all replicas (an all-reduce), so call it in a replica context.

    Args:
        center: (1, K) float32 variable, updated in place.
        teacher_logits: (I, B, K) float32 teacher outputs of this replica's I global views of B clouds.
        momentum: the centre's momentum q (0.9 in the paper).
    """
    batch_center = ops.mean(ops.reshape(teacher_logits, (-1, ops.shape(teacher_logits)[-1])), axis=0, keepdims=True)
    batch_center = tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.MEAN, batch_center)
    center.assign(center * momentum + batch_center * (1.0 - momentum))
