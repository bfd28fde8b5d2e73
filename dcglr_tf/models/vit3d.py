"""3D-ViT, the DCGLR paper's point-cloud vision transformer (section 3.3, eqs. 14-16).

points (B, N, 3) ->
1. S = N // patch_size patch centres by farthest point sampling (first pick: point 0, so the output is a
   deterministic function of the cloud given its first point);
2. each patch: the patch_size nearest points of its centre (the centre itself included), in coordinates
   relative to the centre;
3. a small PointNet per patch (eq. 14): shared MLP (dense-BN-ReLU, `patch_mlp` widths), a linear layer to
   D, max pool over the patch's points -> one D-dim token per patch;
4. positional embedding of the centres, an MLP on xyz (dense `pos_hidden` - GELU - dense D), added to the
   patch tokens; a learnable class token in front (eq. 15);
5. `depth` pre-norm transformer blocks (x + MHSA(LN(x)), x + MLP(LN(x)), MLP hidden `mlp_ratio` * D, GELU,
   `num_heads` heads), a final LayerNorm;
6. the class token is the global feature (B, D) (eq. 16 without its classification Linear, which belongs to
   the head).

Defaults. The paper fixes k = 32 points per patch, S = int(N / k) and 8 attention heads (its attention
figure) and gives no width or depth; the paper preset takes ViT-S's D = 384, 12 blocks, MLP ratio 4 with 8
heads of 48 dims: 21,477,376 trainable parameters (no published count to compare against). The embedded CPU
preset uses D = 64, 2 blocks, 8 heads of 8 dims and 16 points per patch (so a 48-point local view still
has 3 patches, MLP ratio 2): 75,872 parameters.

Any N >= patch_size works (S >= 1). With a static N, S is a Python int; with a dynamic N (an exported
SavedModel) S = N // patch_size is computed at run time. Fewer points than patch_size give a ValueError
(static N) or a failed tf.debugging assertion (dynamic N) naming the minimum.

`attention_maps(points)` returns the class token's attention to the patches in the last block, per head,
with the patch centres for rendering. The softmax of the class token's query runs over all S + 1 tokens
(the class token itself included), as in the forward pass; we drop the class token's own entry and
renormalise the rest, so every head's map sums to 1 over the S patches. The dropped share is returned as
well.
"""

import keras
import tensorflow as tf
from keras import ops

from dcglr_tf.models.backbone import Backbone
from dcglr_tf.models.layers import SharedMLP, ensure_min_points
from dcglr_tf.models.registry import register_backbone
from dcglr_tf.ops.points import farthest_point_sample, gather_points, knn


def _dense(units, name, activation=None):
    """A dense layer with ViT's initialisation (truncated normal, std 0.02, zero bias)."""
    return keras.layers.Dense(
        units,
        activation=activation,
        kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.02),
        bias_initializer="zeros",
        name=name,
    )


@keras.saving.register_keras_serializable(package="dcglr_tf")
class MultiHeadSelfAttention(keras.layers.Layer):
    """Multi-head self-attention: (B, T, dim) -> (B, T, dim), and optionally the weights (B, heads, T, T).

    Args:
        dim: int, token width; divisible by `num_heads`.
        num_heads: int, attention heads.
        **kwargs: passed to `keras.layers.Layer`.

    Call arguments:
        x: (B, T, dim) float tokens.
        return_attention: bool, also return the attention weights.

    Returns:
        (B, T, dim) tokens, or with `return_attention` a tuple of them and the (B, heads, T, T) softmax weights (rows
        sum to 1).

    Raises:
        ValueError: when `dim` is not divisible by `num_heads`.
    """

    def __init__(self, dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.dim = int(dim)
        self.num_heads = int(num_heads)
        if self.dim % self.num_heads:
            raise ValueError(f"attention width {self.dim} is not divisible by {self.num_heads} heads")
        self.head_dim = self.dim // self.num_heads
        self.qkv = _dense(3 * self.dim, "qkv")
        self.proj = _dense(self.dim, "proj")

    def build(self, input_shape):
        self.qkv.build(input_shape)
        self.proj.build(tuple(input_shape)[:-1] + (self.dim,))

    def call(self, x, return_attention=False):
        batch = ops.shape(x)[0]
        qkv = ops.reshape(self.qkv(x), (batch, -1, 3, self.num_heads, self.head_dim))
        qkv = ops.transpose(qkv, (2, 0, 3, 1, 4))  # (3, B, heads, T, head_dim)
        query, key, value = qkv[0], qkv[1], qkv[2]
        logits = ops.matmul(query, ops.swapaxes(key, -1, -2)) * (self.head_dim**-0.5)
        attention = ops.softmax(logits, axis=-1)  # (B, heads, T, T), rows sum to 1
        out = ops.transpose(ops.matmul(attention, value), (0, 2, 1, 3))  # (B, T, heads, head_dim)
        out = self.proj(ops.reshape(out, (batch, -1, self.dim)))
        return (out, attention) if return_attention else out

    def get_config(self):
        config = super().get_config()
        config.update(dim=self.dim, num_heads=self.num_heads)
        return config


@keras.saving.register_keras_serializable(package="dcglr_tf")
class TransformerBlock(keras.layers.Layer):
    """Pre-norm transformer block: x + MHSA(LN(x)), then x + MLP(LN(x)); (B, T, dim) -> (B, T, dim).

    Args:
        dim: int, token width; divisible by `num_heads`.
        num_heads: int, attention heads.
        mlp_ratio: float, MLP hidden width / dim (GELU).
        drop_path: float, stochastic depth (DINO's ViT): in training, each residual branch is dropped for a whole
            sample with this probability and the kept ones are scaled by 1 / (1 - drop_path).
        **kwargs: passed to `keras.layers.Layer`.

    Call arguments:
        x: (B, T, dim) float tokens.
        return_attention: bool, also return the block's attention weights.
        training: bool or None (stochastic depth only in training).

    Returns:
        (B, T, dim) tokens, or with `return_attention` a tuple of them and the (B, heads, T, T) attention weights.
    """

    def __init__(self, dim, num_heads, mlp_ratio=4.0, drop_path=0.0, **kwargs):
        super().__init__(**kwargs)
        self.dim = int(dim)
        self.num_heads = int(num_heads)
        self.mlp_ratio = float(mlp_ratio)
        self.drop_path = float(drop_path)
        # One mask entry per sample: a Dropout whose noise is broadcast over tokens and channels.
        self.drop_branch = keras.layers.Dropout(self.drop_path, noise_shape=(None, 1, 1), name="drop_path")
        self.norm_1 = keras.layers.LayerNormalization(epsilon=1e-6, name="norm_1")
        self.attention = MultiHeadSelfAttention(self.dim, self.num_heads, name="attention")
        self.norm_2 = keras.layers.LayerNormalization(epsilon=1e-6, name="norm_2")
        self.hidden = _dense(int(round(self.dim * self.mlp_ratio)), "mlp_hidden")
        self.out = _dense(self.dim, "mlp_out")

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        for layer in (self.norm_1, self.attention, self.norm_2, self.hidden):
            layer.build(input_shape)
        self.out.build(input_shape[:-1] + (self.hidden.units,))

    def call(self, x, return_attention=False, training=None):
        attended, attention = self.attention(self.norm_1(x), return_attention=True)
        x = x + self.drop_branch(attended, training=training)
        mlp = self.out(ops.gelu(self.hidden(self.norm_2(x)), approximate=False))
        x = x + self.drop_branch(mlp, training=training)
        return (x, attention) if return_attention else x

    def get_config(self):
        config = super().get_config()
        config.update(dim=self.dim, num_heads=self.num_heads, mlp_ratio=self.mlp_ratio, drop_path=self.drop_path)
        return config


@register_backbone("vit3d")
class ViT3D(Backbone):
    """3D-ViT encoder: (B, N, 3) -> class token (B, dim). No per-point features (tokens are patches).

    Paper preset: D 384, L 12, 8 heads, ratio 4, patch 32, patch MLP (128, 256), pos hidden 128.
    Embedded preset: D 64, L 2, 8 heads, ratio 2, patch 16, patch MLP (32, 64), pos hidden 32.

    Args:
        dim: int, token width D (divisible by `num_heads`).
        depth: int >= 1, transformer blocks L.
        num_heads: int, attention heads.
        mlp_ratio: float, transformer MLP hidden width / D.
        patch_size: int >= 1, points per patch and points of the cloud per patch (S = N // patch_size; needs
            N >= patch_size).
        patch_mlp: non-empty sequence of int, hidden widths of the per-patch PointNet.
        pos_hidden: int, hidden width of the positional-embedding MLP.
        drop_path: float, stochastic-depth rate of the last block, rising linearly from 0 in the first (DINO's ViT
            schedule; the DCGLR teacher is built with 0, see `teacher_overrides`).
        **kwargs: passed to `Backbone` (`max_points`, `name`, default "vit3d").

    Call arguments:
        points: (B, N, 3) float clouds, N >= patch_size.
        training: bool or None.

    Returns:
        (B, dim) the class token after the final LayerNorm.

    Raises:
        ValueError: when `depth` or `patch_size` is below 1, `patch_mlp` is empty, or `dim` is not divisible by
            `num_heads`; (when called) a static N or `max_points` below `patch_size`.
    """

    teacher_overrides = {"drop_path": 0.0}

    presets = {
        "paper": dict(
            dim=384, depth=12, num_heads=8, mlp_ratio=4.0, patch_size=32, patch_mlp=(128, 256), pos_hidden=128
        ),
        "embedded": dict(
            dim=64, depth=2, num_heads=8, mlp_ratio=2.0, patch_size=16, patch_mlp=(32, 64), pos_hidden=32
        ),
    }

    def __init__(
        self,
        dim=384,
        depth=12,
        num_heads=8,
        mlp_ratio=4.0,
        patch_size=32,
        patch_mlp=(128, 256),
        pos_hidden=128,
        drop_path=0.0,
        **kwargs,
    ):
        kwargs.setdefault("name", "vit3d")
        super().__init__(**kwargs)
        self.dim = int(dim)
        self.depth = int(depth)
        self.num_heads = int(num_heads)
        self.mlp_ratio = float(mlp_ratio)
        self.patch_size = int(patch_size)
        self.patch_mlp = tuple(int(w) for w in patch_mlp)
        self.pos_hidden = int(pos_hidden)
        self.drop_path = float(drop_path)
        if self.depth < 1 or self.patch_size < 1 or not self.patch_mlp:
            raise ValueError(
                f"vit3d needs depth >= 1, patch_size >= 1 and a patch_mlp width, got {self.depth}, "
                f"{self.patch_size} and {self.patch_mlp}"
            )
        self.min_points = self.patch_size
        self.output_dim = self.dim
        self.patch_embed = SharedMLP(self.patch_mlp, activation="relu", name="patch_mlp")
        self.patch_out = _dense(self.dim, "patch_out")
        self.pos_embed_hidden = _dense(self.pos_hidden, "pos_hidden")
        self.pos_embed_out = _dense(self.dim, "pos_out")
        rates = [self.drop_path * i / max(self.depth - 1, 1) for i in range(self.depth)]
        self.blocks = [
            TransformerBlock(self.dim, self.num_heads, self.mlp_ratio, drop_path=rate, name=f"block_{i}")
            for i, rate in enumerate(rates)
        ]
        self.norm = keras.layers.LayerNormalization(epsilon=1e-6, name="norm")

    def build(self, input_shape):
        batch = tuple(input_shape)[0]
        group_shape = (batch, None, self.patch_size, 3)
        self.patch_embed.build(group_shape)
        self.patch_out.build(group_shape[:-1] + (self.patch_mlp[-1],))
        self.pos_embed_hidden.build((batch, None, 3))
        self.pos_embed_out.build((batch, None, self.pos_hidden))
        self.cls_token = self.add_weight(
            shape=(1, 1, self.dim),
            initializer=keras.initializers.TruncatedNormal(stddev=0.02),
            name="cls_token",
        )
        for block in self.blocks:
            block.build((batch, None, self.dim))
        self.norm.build((batch, None, self.dim))

    def num_patches(self, points):
        """The number of patches S = N // patch_size.

        Args:
            points: (B, N, 3) clouds.

        Returns:
            A Python int for a static N, else a scalar int32 tensor.
        """
        if points.shape[1] is not None:
            return points.shape[1] // self.patch_size
        return tf.shape(points)[1] // self.patch_size

    def _encode(self, points, training):
        """-> (normalised tokens (B, 1 + S, D), last block's attention (B, heads, 1+S, 1+S), centres (B, S, 3))."""
        points = ensure_min_points(self, self.limit_points(points))
        centres = gather_points(points, farthest_point_sample(points, self.num_patches(points)))  # (B, S, 3)
        groups = gather_points(points, knn(centres, points, self.patch_size)) - centres[:, :, None, :]
        tokens = ops.max(self.patch_out(self.patch_embed(groups, training=training)), axis=2)  # (B, S, D)
        tokens = tokens + self.pos_embed_out(ops.gelu(self.pos_embed_hidden(centres), approximate=False))
        cls = ops.tile(ops.cast(self.cls_token, tokens.dtype), (ops.shape(tokens)[0], 1, 1))
        x = ops.concatenate([cls, tokens], axis=1)
        for block in self.blocks[:-1]:
            x = block(x, training=training)
        x, attention = self.blocks[-1](x, return_attention=True, training=training)
        return self.norm(x), attention, centres

    def call(self, points, training=None):
        return self._encode(points, training)[0][:, 0]

    def attention_maps(self, points, training=False):
        """The class token's last-block attention to the patches, per head.

        Args:
            points: (B, N, 3) float clouds (converted to the model's compute dtype).
            training: bool.

        Returns:
            Dict with "attention": (B, num_heads, S), each head's weights over the S patches, renormalised to sum to 1
            after dropping the class token's attention to itself; "centres": (B, S, 3), the patch centres the weights
            belong to; "class_self": (B, num_heads), the share of the softmax the class token gave itself.
        """
        points = tf.convert_to_tensor(points, dtype=self.compute_dtype)
        _, attention, centres = self._encode(points, training)
        row = attention[:, :, 0, :]  # (B, heads, 1 + S), sums to 1
        patches = row[:, :, 1:]
        patches = patches / ops.maximum(ops.sum(patches, axis=-1, keepdims=True), 1e-12)
        return {"attention": patches, "centres": centres, "class_self": row[:, :, 0]}

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "dim": self.dim,
            "depth": self.depth,
            "num_heads": self.num_heads,
            "mlp_ratio": self.mlp_ratio,
            "patch_size": self.patch_size,
            "patch_mlp": list(self.patch_mlp),
            "pos_hidden": self.pos_hidden,
            "drop_path": self.drop_path,
        }
