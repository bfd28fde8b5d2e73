"""PCT, the Point Cloud Transformer (Guo et al., 2021): classification encoder with neighbour embedding.

Architecture (paper preset = the published classification network "Point_Transformer2" without its
classifier; B clouds of N points):
1. input embedding: two shared conv-BN-ReLU layers, 3 -> 64 -> 64 per point;
2. neighbour embedding: two sampling-and-grouping (SG) layers. Each samples centres by farthest point
   sampling, finds the k = 32 nearest points of every centre in xyz, builds for each neighbour j of centre
   i the feature [f_j - f_i, f_i], applies two conv-BN-ReLU layers (2C -> C' -> C') and max-pools over the
   k neighbours: 64 -> 128 channels on 512 centres, then 128 -> 256 channels on 256 centres;
3. two conv-BN-ReLU layers (256), then four offset-attention (OA) layers of 256 channels. An OA layer:
   q = k = W_qk x (shared weights, 256 -> 64, no bias), v = W_v x + b, A = softmax_rows(q k^T) renormalised
   so that every column sums to 1, x_sa = A^T v, out = x + ReLU(BN(W_t (x - x_sa) + b_t));
4. concatenation of the four OA outputs and the SG-2 features (4 * 256 + 256 = 1280), conv-BN-LeakyReLU(0.2)
   to 1024;
5. global max and mean pooling, concatenated: (B, 2048). The PCT paper describes this max + average pooling;
   its released code max-pools only. Pooling has no parameters, so the counts below are unaffected.

Point counts. The published network takes 1024 points and samples 512 and then 256 centres. Our views
have 48 to 2048 points, so SG layer i keeps `min(num_samples[i], n_in // 2)` centres, n_in being the
number of points entering it: exactly the published 512 / 256 for N >= 1024, and half of the input per
layer for smaller clouds (128 points -> 64 -> 32). The kNN needs n_in >= k in every SG layer, so the
minimum is N >= 2k (64 points for the paper preset, 32 for the embedded one); fewer gives a ValueError
(static N) or a failed tf.debugging assertion (dynamic N) naming it. With a dynamic N (an exported
SavedModel) the centre counts are computed at run time.

Implementation note: the first conv of an SG layer is linear in [f_j - f_i, f_i], so W [f_j - f_i; f_i]
= W_a f_j + (W_b - W_a) f_i. We apply W_a to the n_in points once and gather, instead of multiplying all
n_centres * k edge features: the same function and parameters with fewer multiply-adds (as in DGCNN).

Parameters (paper preset, trainable): ours 2,208,704; published encoder 2,208,704 (its whole classification
network has the published 2.88 M = 2,876,136, of which 667,432 are the classifier MLP 1024-512-256-40).
Batch-norm moving statistics are not trainable and not counted in either.
"""

import keras
import tensorflow as tf
from keras import ops

from dcglr_tf.models.backbone import Backbone
from dcglr_tf.models.layers import SharedMLP, ensure_min_points
from dcglr_tf.models.registry import register_backbone
from dcglr_tf.ops.points import farthest_point_sample, gather_points, knn


def _num_centres(max_samples, num_points):
    """Centres kept by an SG layer for `num_points` input points (a Python int or a scalar tensor)."""
    if isinstance(num_points, int):
        return min(max_samples, num_points // 2)
    return tf.minimum(max_samples, num_points // 2)


@keras.saving.register_keras_serializable(package="dcglr_tf")
class SampleAndGroup(keras.layers.Layer):
    """PCT's SG layer: (xyz (B, n, 3), features (B, n, C)) -> (centres (B, s, 3), features (B, s, units)).

    s = min(max_samples, n // 2) centres by farthest point sampling (first pick: point 0), k nearest points of each
    centre in xyz, [f_j - f_i, f_i] through two conv-BN-ReLU layers, max over the k neighbours.

    Args:
        units: int, output width.
        k: int, neighbours per centre; needs n >= k.
        max_samples: int, the most centres kept.
        **kwargs: passed to `keras.layers.Layer`.

    Call arguments:
        xyz: (B, n, 3) float coordinates.
        features: (B, n, C) float features of the same points.
        training: bool or None.

    Returns:
        Tuple `(centres, features)`: (B, s, 3) centre coordinates and (B, s, units) features.
    """

    def __init__(self, units, k, max_samples, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.k = int(k)
        self.max_samples = int(max_samples)
        self.neighbour = keras.layers.Dense(self.units, use_bias=False, name="neighbour")
        self.centre = keras.layers.Dense(self.units, use_bias=False, name="centre")
        self.norm = keras.layers.BatchNormalization(momentum=0.9, synchronized=True, name="bn")
        self.mlp = SharedMLP([self.units], activation="relu", name="mlp")

    def build(self, xyz_shape, features_shape):
        features_shape = tuple(features_shape)
        self.neighbour.build(features_shape)
        self.centre.build(features_shape)
        edge_shape = (features_shape[0], None, self.k, self.units)
        self.norm.build(edge_shape)
        self.mlp.build(edge_shape)

    def call(self, xyz, features, training=None):
        num_points = xyz.shape[1] if xyz.shape[1] is not None else tf.shape(xyz)[1]
        centre_idx = farthest_point_sample(xyz, _num_centres(self.max_samples, num_points))  # (B, s)
        centres = gather_points(xyz, centre_idx)  # (B, s, 3)
        neighbour_idx = knn(centres, xyz, self.k)  # (B, s, k)
        projected = self.neighbour(features)  # W_a f, (B, n, units)
        centre_term = self.centre(gather_points(features, centre_idx)) - gather_points(projected, centre_idx)
        edges = gather_points(projected, neighbour_idx) + centre_term[:, :, None, :]  # (B, s, k, units)
        edges = ops.relu(self.norm(edges, training=training))
        return centres, ops.max(self.mlp(edges, training=training), axis=2)

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, k=self.k, max_samples=self.max_samples)
        return config


@keras.saving.register_keras_serializable(package="dcglr_tf")
class OffsetAttention(keras.layers.Layer):
    """PCT's offset-attention layer: (B, n, C) -> (B, n, C), see the module docstring.

    Args:
        channels: int, C.
        qk_reduction: int, the shared query/key projection has C // qk_reduction channels.
        **kwargs: passed to `keras.layers.Layer`.

    Call arguments:
        x: (B, n, C) float features.
        training: bool or None.

    Returns:
        (B, n, C) features, `x + ReLU(BN(W_t (x - x_sa) + b_t))`.
    """

    def __init__(self, channels, qk_reduction=4, **kwargs):
        super().__init__(**kwargs)
        self.channels = int(channels)
        self.qk_reduction = int(qk_reduction)
        self.query_key = keras.layers.Dense(self.channels // self.qk_reduction, use_bias=False, name="query_key")
        self.value = keras.layers.Dense(self.channels, name="value")
        self.transform = keras.layers.Dense(self.channels, name="transform")
        self.norm = keras.layers.BatchNormalization(momentum=0.9, synchronized=True, name="bn")

    def build(self, input_shape):
        for layer in (self.query_key, self.value, self.transform, self.norm):
            layer.build(input_shape)

    def call(self, x, training=None):
        qk = self.query_key(x)  # (B, n, C / 4): query and key share their weights
        attention = ops.softmax(ops.matmul(qk, ops.swapaxes(qk, 1, 2)), axis=-1)  # (B, n_query, n_key)
        attention = attention / (1e-9 + ops.sum(attention, axis=1, keepdims=True))
        attended = ops.matmul(ops.swapaxes(attention, 1, 2), self.value(x))  # (B, n, C)
        offset = self.norm(self.transform(x - attended), training=training)
        return x + ops.relu(offset)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(channels=self.channels, qk_reduction=self.qk_reduction)
        return config


@register_backbone("pct")
class PCT(Backbone):
    """PCT encoder: (B, N, 3) -> (B, 2 * emb_dim). No per-point features (SG layers downsample).

    Needs N >= `min_points` (2k with two SG layers).
    Paper preset: 64, (128, 256), (512, 256), k 32, 4 OA layers, 1024 -> (B, 2048).
    Embedded preset: 32, (64, 64), (512, 256), k 16, 4 OA layers, 256 -> (B, 512).
    Its training step is slower XLA-compiled on our CPUs (embedded preset 0.85x, paper preset at batch 4 0.87x;
    docs/results.md, "Speed"), so XLA is not its default.

    Args:
        embed_dim: int, width of the two input-embedding layers.
        sg_widths: sequence of int, output widths of the SG layers (the last is the attention width C).
        num_samples: sequence of int, one per SG layer: the most centres it keeps (it keeps min(num_samples[i],
            n_in // 2)).
        k: int, neighbours per centre.
        num_attention: int, offset-attention layers.
        emb_dim: int, width of the fusing conv before pooling.
        **kwargs: passed to `Backbone` (`max_points`, `name`, default "pct").

    Call arguments:
        points: (B, N, 3) float clouds, N >= `min_points`.
        training: bool or None.

    Returns:
        (B, 2 * emb_dim) global features: max and mean pooling concatenated.

    Raises:
        ValueError: when `sg_widths` is empty or not as long as `num_samples`, or an SG layer but the last keeps fewer
            than k centres; (when called) a static N or `max_points` below `min_points`.
    """

    xla_default = False
    presets = {
        "paper": dict(
            embed_dim=64, sg_widths=(128, 256), num_samples=(512, 256), k=32, num_attention=4, emb_dim=1024
        ),
        "embedded": dict(
            embed_dim=32, sg_widths=(64, 64), num_samples=(512, 256), k=16, num_attention=4, emb_dim=256
        ),
    }

    def __init__(
        self,
        embed_dim=64,
        sg_widths=(128, 256),
        num_samples=(512, 256),
        k=32,
        num_attention=4,
        emb_dim=1024,
        **kwargs,
    ):
        kwargs.setdefault("name", "pct")
        super().__init__(**kwargs)
        self.embed_dim = int(embed_dim)
        self.sg_widths = tuple(int(w) for w in sg_widths)
        self.num_samples = tuple(int(s) for s in num_samples)
        self.k = int(k)
        self.num_attention = int(num_attention)
        self.emb_dim = int(emb_dim)
        if len(self.sg_widths) != len(self.num_samples) or not self.sg_widths:
            raise ValueError(f"pct needs one num_samples per SG layer, got {self.sg_widths} and {self.num_samples}")
        if any(s < self.k for s in self.num_samples[:-1]):
            raise ValueError(f"pct: every SG layer but the last must keep at least k={self.k} centres")
        self.min_points = self._min_points()
        self.output_dim = 2 * self.emb_dim
        channels = self.sg_widths[-1]
        self.embed = SharedMLP([self.embed_dim] * 2, activation="relu", name="embed")
        self.groupings = [
            SampleAndGroup(width, self.k, samples, name=f"sg_{i}")
            for i, (width, samples) in enumerate(zip(self.sg_widths, self.num_samples))
        ]
        self.pre_attention = SharedMLP([channels] * 2, activation="relu", name="pre_attention")
        self.attentions = [OffsetAttention(channels, name=f"oa_{i}") for i in range(self.num_attention)]
        self.fuse = SharedMLP([self.emb_dim], activation="leaky_relu", negative_slope=0.2, name="fuse")

    def _min_points(self):
        """Fewest points for which every SG layer's kNN has at least k candidates."""
        n = self.k
        while True:
            count, ok = n, True
            for samples in self.num_samples:
                if count < self.k:
                    ok = False
                    break
                count = _num_centres(samples, count)
            if ok and count >= 1:
                return n
            n += 1

    def build(self, input_shape):
        shape = tuple(input_shape)
        self.embed.build(shape)
        features = shape[:-1] + (self.embed_dim,)
        for grouping in self.groupings:
            grouping.build(shape, features)
            shape = (shape[0], None, 3)
            features = (shape[0], None, grouping.units)
        self.pre_attention.build(features)
        for attention in self.attentions:
            attention.build(features)
        self.fuse.build(features[:-1] + ((self.num_attention + 1) * self.sg_widths[-1],))

    def call(self, points, training=None):
        points = ensure_min_points(self, self.limit_points(points))
        xyz, features = points, self.embed(points, training=training)
        for grouping in self.groupings:
            xyz, features = grouping(xyz, features, training=training)
        x = self.pre_attention(features, training=training)
        outputs = []
        for attention in self.attentions:
            x = attention(x, training=training)
            outputs.append(x)
        x = self.fuse(ops.concatenate(outputs + [features], axis=-1), training=training)
        return ops.concatenate([ops.max(x, axis=1), ops.mean(x, axis=1)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "embed_dim": self.embed_dim,
            "sg_widths": list(self.sg_widths),
            "num_samples": list(self.num_samples),
            "k": self.k,
            "num_attention": self.num_attention,
            "emb_dim": self.emb_dim,
        }
