"""The Astromer v1 encoder as Keras 3 layers, with the exact semantics of the published model.

Per window: input = Dense(1→d) on the centred magnitude + a sinusoidal encoding of the centred
time (angle_i = t / 10000^(2i/d), sin on even i, cos on odd i). Each block: multi-head attention
whose logits get ``+ min(1, mask_q + mask_k)`` (the original's quirk: +1 on padded positions,
not −∞) → dropout → LayerNorm(ε 1e-6) with no residual; then Dense(dff, tanh) → Dense(d) →
dropout → LayerNorm, again with no residual. Everything is batched; nothing loops per sample.

Four departures, off by default (the published weights assume none), for encoders trained
here: ``error_input`` adds a second projection, Dense(1→d) of each epoch's magnitude error
(Astromer v1 sees no errors, so it cannot tell a noisy faint star from a variable source of
the same spread); ``difference_input`` adds Dense(2→d) of each epoch's change from the
previous epoch, (Δm, log(1 + Δt / 1 d)) (0 for the first epoch and next to masked ones), so
that every token carries the local variability a structure function or η is made of;
``key_mask`` excludes padded positions from attention (−10⁹ on their keys instead of the +1
quirk, under which a real epoch of a 50-night light curve would give ~90 % of its attention to
the padding if the logits were otherwise equal); ``residual`` adds each sub-block's input to
its output before the LayerNorm (the standard post-LN transformer).

A fifth, ``local_mean_days`` (0: off), adds Dense(2→d) of each epoch's local level: the mean
centred magnitude of the real epochs within that many days of it, and log(1 + their number).
A slow damped random walk (τ of years) moves the season means while its night-to-night changes
sit in the noise; the local mean shows that drift to every token with the noise averaged down.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import layers, ops

from qzo.models.astromer.backend import build_weights


def positional_encoding(times: Any, d_model: int) -> Any:
    """(B, S, 1) times in days → (B, S, d_model), float32 (cast by the caller if needed)."""
    i = ops.arange(d_model, dtype="float32")
    # reciprocal(power(...)) rather than 1 / power(...): bit-identical to the published model.
    rates = ops.reciprocal(ops.power(10000.0, 2.0 * i / float(d_model)))
    angles = ops.cast(times, "float32") * rates
    return ops.where(ops.equal(i % 2, 0), ops.sin(angles), ops.cos(angles))


def takes_errors(encoder_config: dict[str, Any]) -> bool:
    """Whether an encoder with this ``config_`` (as saved with a model) takes the magnitude
    errors (``error_input``; configs saved before the option have none)."""
    return bool(encoder_config.get("error_input", False))


def differences(inputs: dict[str, Any], magnitude_scale: float) -> Any:
    """(B, S, 2): each epoch's (Δm · ``magnitude_scale``, log(1 + Δt)) from the previous
    position; 0 at the first position and wherever this or the previous position is masked
    (padding, or an epoch hidden in stage 1)."""
    times, mags = ops.cast(inputs["times"], "float32"), ops.cast(inputs["mags"], "float32")
    real = 1.0 - ops.cast(inputs["mask"], "float32")

    def previous(x: Any) -> Any:
        return ops.concatenate([x[:, :1], x[:, :-1]], axis=1)

    both = (
        real
        * previous(real)
        * ops.concatenate([ops.zeros_like(real[:, :1]), ops.ones_like(real[:, 1:])], axis=1)
    )
    dm = (mags - previous(mags)) * magnitude_scale
    dt = ops.log1p(ops.maximum(times - previous(times), 0.0))
    return ops.concatenate([dm, dt], axis=-1) * both


def local_means(inputs: dict[str, Any], days: float, magnitude_scale: float) -> Any:
    """(B, S, 2): per epoch, the mean centred magnitude (· ``magnitude_scale``) of the real
    epochs within ``days`` of it (itself included), and log(1 + their number); 0 wherever the
    epoch is masked (padding, or hidden in stage 1). Masked epochs never enter a mean, so a
    hidden magnitude cannot leak into its neighbours' inputs."""
    times, mags = ops.cast(inputs["times"], "float32"), ops.cast(inputs["mags"], "float32")
    real = 1.0 - ops.cast(inputs["mask"], "float32")
    apart = ops.abs(times - ops.transpose(times, (0, 2, 1)))  # (B, S, S)
    near = ops.cast(ops.less_equal(apart, days), "float32") * ops.transpose(real, (0, 2, 1))
    count = ops.sum(near, axis=-1, keepdims=True)
    mean = ops.matmul(near, mags * real) / ops.maximum(count, 1.0)
    return ops.concatenate([mean * magnitude_scale, ops.log1p(count)], axis=-1) * real


class EncoderBlock(layers.Layer):
    """Attention and feed-forward sub-blocks, each ending in a LayerNorm (after adding the
    sub-block's input when ``residual``)."""

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        dff: int,
        dropout: float,
        residual: bool = False,
        **kwargs: Any,
    ) -> None:
        # No autocast: under a mixed policy the float32 mask bias must stay float32 (its
        # sublayers still cast their own inputs).
        super().__init__(autocast=False, **kwargs)
        self.d_model, self.num_heads, self.depth = d_model, num_heads, d_model // num_heads
        self.residual = residual
        self.wq = layers.Dense(d_model, name="wq")
        self.wk = layers.Dense(d_model, name="wk")
        self.wv = layers.Dense(d_model, name="wv")
        self.dense = layers.Dense(d_model, name="dense")
        self.ffn_hidden = layers.Dense(dff, activation="tanh", name="ffn_hidden")
        self.ffn_out = layers.Dense(d_model, name="ffn_out")
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6, name="layernorm1")
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6, name="layernorm2")
        self.dropout1 = layers.Dropout(dropout)
        self.dropout2 = layers.Dropout(dropout)

    def _heads(self, x: Any) -> Any:
        # -1 for the batch: an explicit batch size from ops.shape is mistranslated by tf2onnx.
        shape = (-1, ops.shape(x)[1], self.num_heads, self.depth)
        return ops.transpose(ops.reshape(x, shape), (0, 2, 1, 3))

    def call(self, x: Any, mask_bias: Any, training: bool = False) -> Any:
        """``mask_bias`` (B, 1, S, S) is added to the attention logits."""
        q, k, v = self._heads(self.wq(x)), self._heads(self.wk(x)), self._heads(self.wv(x))
        logits = ops.matmul(q, ops.transpose(k, (0, 1, 3, 2))) / (self.depth**0.5)
        # The softmax runs in float32 whatever the compute dtype (mixed precision on a GPU).
        weights = ops.softmax(ops.cast(logits, "float32") + mask_bias, axis=-1)
        weights = ops.cast(weights, v.dtype)
        att = ops.transpose(ops.matmul(weights, v), (0, 2, 1, 3))
        att = ops.reshape(att, (-1, ops.shape(x)[1], self.d_model))
        att = self.dropout1(self.dense(att), training=training)
        out1 = self.layernorm1(x + att if self.residual else att)
        ffn = self.dropout2(self.ffn_out(self.ffn_hidden(out1)), training=training)
        return self.layernorm2(out1 + ffn if self.residual else ffn)


class AstromerEncoder(keras.Model):
    """Inputs: dict of ``times``, ``mags``, ``mask`` (each (B, S, 1), mask 1 = padding);
    output: (B, S, d_model) embeddings.

    ``magnitude_scale`` multiplies the centred magnitudes before the input projection (1: the
    published model). Centred ZTF magnitudes vary by ~0.1 mag while the time encoding has unit
    amplitude, so a randomly initialised encoder barely sees the variability; a scale of ~10
    puts both on one footing (docs/method.md, "What the transformer sees"); it scales the
    errors too. ``error_input``, ``difference_input``, ``local_mean_days``, ``key_mask`` and
    ``residual``: see the module's docstring."""

    def __init__(
        self,
        num_layers: int = 2,
        d_model: int = 256,
        num_heads: int = 4,
        dff: int = 128,
        dropout: float = 0.1,
        window: int = 200,
        magnitude_scale: float = 1.0,
        key_mask: bool = False,
        residual: bool = False,
        error_input: bool = False,
        difference_input: bool = False,
        local_mean_days: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.config_: dict[str, Any] = {
            "num_layers": num_layers,
            "d_model": d_model,
            "num_heads": num_heads,
            "dff": dff,
            "dropout": dropout,
            "window": window,
            "magnitude_scale": magnitude_scale,
            "key_mask": key_mask,
            "residual": residual,
            "error_input": error_input,
            "difference_input": difference_input,
            "local_mean_days": local_mean_days,
        }
        self.inp_transform = layers.Dense(d_model, name="inp_transform")
        if error_input:
            self.err_transform = layers.Dense(d_model, use_bias=False, name="err_transform")
        if difference_input:
            self.diff_transform = layers.Dense(d_model, use_bias=False, name="diff_transform")
        if local_mean_days:
            self.local_transform = layers.Dense(d_model, use_bias=False, name="local_transform")
        self.blocks = [
            EncoderBlock(d_model, num_heads, dff, dropout, residual, name=f"block_{i}")
            for i in range(num_layers)
        ]
        self.dropout = layers.Dropout(dropout)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **self.config_}

    def call(self, inputs: dict[str, Any], training: bool = False) -> Any:
        """``inputs``: ``times``, ``mags``, ``mask`` (B, S, 1); optionally ``key_log_count``
        (B, S): log of how many identical padded positions a token stands for (compact windows,
        see :func:`qzo.models.astromer.windows.compact_windows`); ``errors`` (B, S, 1) when the
        encoder has ``error_input``."""
        scale = self.config_["magnitude_scale"]
        x = self.inp_transform(inputs["mags"] * scale)
        if takes_errors(self.config_):
            if "errors" not in inputs:
                raise KeyError("this encoder has error_input: its inputs need 'errors' (magerr)")
            x = x + self.err_transform(inputs["errors"] * scale)
        if self.config_["difference_input"]:
            x = x + self.diff_transform(differences(inputs, scale))
        if self.config_["local_mean_days"]:
            days = self.config_["local_mean_days"]
            x = x + self.local_transform(local_means(inputs, days, scale))
        x = x + ops.cast(positional_encoding(inputs["times"], self.config_["d_model"]), x.dtype)
        x = self.dropout(x, training=training)
        bias = self.attention_bias(inputs)
        for block in self.blocks:
            x = block(x, bias, training=training)
        return x

    def attention_bias(self, inputs: dict[str, Any]) -> Any:
        """(B, 1, S, S) float32, added to every block's attention logits."""
        mask = ops.cast(inputs["mask"], "float32")
        keys = ops.transpose(mask, (0, 2, 1))  # (B, 1, S)
        if self.config_["key_mask"]:
            # Padded keys excluded; a compact window's padding token is masked like the rest.
            return (-1e9 * keys)[:, None, :, :]
        bias = ops.minimum(1.0, mask + keys)[:, None, :, :]
        if "key_log_count" in inputs:
            bias = bias + ops.cast(inputs["key_log_count"], "float32")[:, None, None, :]
        return bias

    def real_sums(self, inputs: dict[str, Any]) -> Any:
        """(B, d_model): each window's embeddings summed over its real (unpadded) epochs."""
        real = 1.0 - ops.cast(inputs["mask"], "float32")
        return ops.sum(ops.cast(self(inputs), "float32") * real, axis=1)

    def build_for_window(self) -> AstromerEncoder:
        """Create the weights (a call on a dummy batch)."""
        build_weights(self, self.dummy_inputs())
        return self

    def dummy_inputs(self) -> dict[str, Any]:
        """One all-zero window of every input the encoder takes (to build weights)."""
        zeros = ops.zeros((1, self.config_["window"], 1))
        names = ("times", "mags", "mask") + (("errors",) if takes_errors(self.config_) else ())
        return {name: zeros for name in names}
