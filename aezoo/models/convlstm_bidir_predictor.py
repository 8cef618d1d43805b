"""Conv-LSTM encoder with two decoders: future frames and past frames (seed 000).

The encoder is a stack of `StridedConvLSTM2D` levels run over the input
frames; each level halves the resolution. From the encoder's state after the
last input frame (the view point), two decoder stacks of
`TransposedConvLSTM2D` levels predict the frames after it (`"future"`) and
reconstruct the frames before it in reverse order (`"past"`). Each decoder
level starts from the encoder's final `[h, c]` at the same resolution; the
deepest encoder output (the code) is fed to the decoders at every step. The
full-resolution decoder level starts from zeros and a per-pixel sigmoid
`Dense` maps its channels to the image channels, so no layer looks at
another frame than its own: nothing sees the future.
"""

import keras

from aezoo.layers import RepeatFrames
from aezoo.layers import StridedConvLSTM2D
from aezoo.layers import TransposedConvLSTM2D
from aezoo.layers.spatial_lstm import CELLS
from aezoo.losses import FrameMSE
from aezoo.losses import SumSquaredError
from aezoo.models import common
from aezoo.registry import register_model

PRESETS = {
    "default": {
        "frames_in": 10,
        "frames_out": 10,
        "frames_past": 9,
        "image_size": 64,
        "image_channels": 1,
        "channels": (16, 32, 64),
        "output_channels": 8,
        "kernel_size": 3,
        "recurrent_kernel_size": 3,
        "padding": "same",
        "cell": "lstm",
        "layer_norm": False,
        "unroll": False,
        "loss": "mean_squared_error",
        **common.training_keys("adam", 1e-3, global_clipnorm=1.0),
    },
    # The post: six levels 64 -> 1 with 3..96 channels, 2x2 stride-2 input
    # kernels, 3x3 state kernels, a 2-channel full-resolution level, the
    # post's own cell (ReLU candidate, unsquashed output, 1-channel gates);
    # summed squared error, RMSProp 0.005, no clipping.
    "as_posted": {
        "frames_in": 10,
        "frames_out": 10,
        "frames_past": 9,
        "image_size": 64,
        "image_channels": 1,
        "channels": (3, 6, 12, 24, 48, 96),
        "output_channels": 2,
        "kernel_size": 2,
        "recurrent_kernel_size": 3,
        "padding": "valid",
        "cell": "posted",
        "layer_norm": False,
        "unroll": False,
        "loss": "batch_sum_squared_error",
        **common.training_keys("rmsprop", 5e-3),
    },
}

LOSSES = ("mean_squared_error", "binary_crossentropy", "batch_sum_squared_error")


@register_model(
    presets=PRESETS,
    task="video prediction: future frames and reversed past frames from a clip",
    dataset="moving_mnist",
    source="seed 000",
    value_range=(0, 1),
    inputs="(batch, {frames_in}, {image_size}, {image_size}, {image_channels}) float32 in [0, 1]",
    outputs=(
        '{{"future": (batch, {frames_out}, {image_size}, {image_size}, {image_channels}), '
        '"past": (batch, {frames_past}, {image_size}, {image_size}, {image_channels}) '
        "newest first}} in [0, 1]"
    ),
)
def convlstm_bidir_predictor(**config):
    """Conv-LSTM autoencoder predicting future and past frames (seed 000)."""
    return _create_convlstm_bidir_predictor(**config)


def _create_convlstm_bidir_predictor(
    frames_in,
    frames_out,
    frames_past,
    image_size,
    image_channels,
    channels,
    output_channels,
    kernel_size,
    recurrent_kernel_size,
    padding,
    cell,
    layer_norm,
    unroll,
    loss,
    optimizer,
    learning_rate,
    global_clipnorm,
    clipvalue,
):
    common.check_int("frames_in", frames_in, minimum=2)
    common.check_int("frames_out", frames_out)
    common.check_int("frames_past", frames_past)
    if frames_past > frames_in - 1:
        raise ValueError(
            "`frames_past` counts the frames before the last input frame, so it "
            f"must be <= frames_in - 1 = {frames_in - 1}. "
            f"Received: frames_past={frames_past}"
        )
    common.check_int("image_size", image_size)
    common.check_int("image_channels", image_channels)
    channels = common.check_int_tuple("channels", channels)
    common.check_int("output_channels", output_channels)
    common.check_int("kernel_size", kernel_size)
    common.check_int("recurrent_kernel_size", recurrent_kernel_size)
    common.check_choice("padding", padding, ("same", "valid"))
    common.check_choice("loss", loss, LOSSES)
    common.check_bool("unroll", unroll)
    common.check_choice("cell", cell, CELLS)
    common.check_bool("layer_norm", layer_norm)
    levels = len(channels)
    if image_size % 2**levels:
        raise ValueError(
            f"{levels} levels halve the image {levels} times, so `image_size` "
            f"must be divisible by {2**levels}. Received: image_size={image_size}"
        )
    if padding == "valid" and kernel_size != 2:
        raise ValueError(
            "With padding='valid' only kernel_size=2 halves and doubles sizes "
            f"exactly. Received: kernel_size={kernel_size}"
        )

    level_args = dict(
        kernel_size=kernel_size,
        strides=2,
        padding=padding,
        recurrent_kernel_size=recurrent_kernel_size,
        cell=cell,
        layer_norm=layer_norm,
        unroll=unroll,
    )
    frames = keras.Input(
        (frames_in, image_size, image_size, image_channels), name="frames"
    )
    x = frames
    states = []
    for level, filters in enumerate(channels, start=1):
        last = level == levels
        x, h, c = StridedConvLSTM2D(
            filters,
            return_sequences=not last,
            return_state=True,
            name=f"encoder_level{level}",
            **level_args,
        )(x)
        states.append([h, c])
    # Named like every aezoo bottleneck, for the code-collapse check.
    code = keras.layers.Identity(name="code")(x)

    def decoder(head, steps):
        y = RepeatFrames(steps, name=f"{head}_code")(code)
        # Decoder level j outputs at encoder level (j - 1)'s resolution and
        # starts from that level's final state; the last one at full size.
        for level in range(levels, 0, -1):
            filters = channels[level - 2] if level > 1 else output_channels
            initial_state = states[level - 2] if level > 1 else None
            y = TransposedConvLSTM2D(
                filters, name=f"{head}_level{level}", **level_args
            )(y, initial_state=initial_state)
        return keras.layers.Dense(image_channels, activation="sigmoid", name=head)(y)

    outputs = {"future": decoder("future", frames_out), "past": decoder("past", frames_past)}
    model = keras.Model(frames, outputs, name="convlstm_bidir_predictor")
    loss_fn = {
        "mean_squared_error": keras.losses.MeanSquaredError,
        # Pixels as Bernoulli probabilities (Srivastava et al. 2015).
        "binary_crossentropy": keras.losses.BinaryCrossentropy,
        "batch_sum_squared_error": lambda: SumSquaredError(reduction="sum"),
    }[loss]()
    model.compile(
        optimizer=common.make_optimizer(
            optimizer, learning_rate, global_clipnorm, clipvalue
        ),
        loss={"future": loss_fn, "past": loss_fn},
        metrics={"future": [FrameMSE()], "past": [FrameMSE()]},
    )
    return model
