"""The benchmark's FLOP counts: the layer-by-layer count equals what XLA's compiled step multiplies."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from benchmarks.flops import analytic_step_flops, hlo_matmul_flops, step_view_groups, xla_step_flops
from dcglr_tf.config import CropConfig, HeadConfig
from dcglr_tf.data.pipeline import view_shapes
from dcglr_tf.presets import embedded_config
from dcglr_tf.training.pretrain import build_model

TINY = dataclasses.replace(
    embedded_config(),
    backbone_args=dict(widths=(4, 4, 8, 8), k=4, emb_dim=16),
    num_points=16,
    batch_size=2,
    crops=CropConfig(global_points=12, num_local=2, local_points=6),
    head=HeadConfig(out_dim=16, hidden_dim=16, bottleneck_dim=8),
)


def test_view_groups_follow_the_train_step():
    teacher, student = step_view_groups(TINY, view_shapes(TINY))
    assert [(g.clouds, g.points) for g in teacher] == [(4, 12)]
    # the global crops, then one call per point count of the local and half-resolution views (6 and 8 points)
    assert [(g.clouds, g.points) for g in student] == [(4, 12), (4, 6), (4, 8)]


@pytest.mark.parametrize("koleo_weight", [0.0, 0.1])  # the paper's loss, and DGCNN's default KoLeo term
def test_analytic_count_equals_xla_program(koleo_weight):
    config = dataclasses.replace(TINY, loss=dataclasses.replace(TINY.loss, koleo_weight=koleo_weight))
    model, optimizer = build_model(config, steps_per_epoch=2)
    model.build((None, config.num_points, 3))
    model.compile(optimizer=optimizer, clip_norm=3.0, jit_compile=True)
    model.optimizer.build(model.trainable_variables)
    rng = np.random.default_rng(0)
    shapes = view_shapes(config)
    batch = {name: tf.constant(rng.normal(size=(config.batch_size,) + s).astype("float32")) for name, s in shapes.items()}
    analytic = analytic_step_flops(config, view_shapes(config), model.student_backbone.get_config())
    assert analytic == xla_step_flops(model, batch)
    assert all(value > 0 for value in analytic.values())


def test_hlo_count_reads_shapes_and_contracting_dims():
    hlo = """
  %p0 = f32[2,5,3]{2,1,0} parameter(0)
  %p1 = f32[3,7]{1,0} parameter(1)
  %d = f32[2,5,7]{2,1,0} dot(%p0, %p1), lhs_contracting_dims={2}, rhs_contracting_dims={0}, metadata={op_name="student_backbone_2/edge_conv_0/neighbour/MatMul"}
  ROOT %e = f32[2,5,5]{2,1,0} dot(f32[2,5,3]{2,1,0} %p0, f32[2,5,3]{2,1,0} %p0), lhs_batch_dims={0}, lhs_contracting_dims={2}, rhs_batch_dims={0}, rhs_contracting_dims={2}, metadata={op_name="teacher_backbone/edge_conv_0/knn/MatMul"}
"""
    assert hlo_matmul_flops(hlo) == {"knn": 2 * 50 * 3, "convs": 2 * 70 * 3, "head": 0, "loss": 0}


@pytest.mark.parametrize("backbone", ["pointnet"])
def test_non_dgcnn_backbone_counts_only_the_loss(backbone):
    config = dataclasses.replace(TINY, backbone=backbone, backbone_args={}, loss=embedded_config(backbone=backbone).loss)
    analytic = analytic_step_flops(config, view_shapes(config), {})
    assert analytic["knn"] is None and analytic["convs"] is None and analytic["loss"] > 0
    # a KoLeo term's products depend on the backbone's feature width, known here for DGCNN only
    koleo = dataclasses.replace(config, loss=dataclasses.replace(config.loss, koleo_weight=0.1))
    assert analytic_step_flops(koleo, view_shapes(koleo), {})["loss"] is None
