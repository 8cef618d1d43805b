"""Conv-LSTM predictor of future frames and reversed past frames (seed 000).

Two designs share the registry name and its contract (input
`(batch, frames_in, size, size, 1)`; outputs `"future"` and `"past"`, the
past newest first):

- `design="conditional"` (preset `default`, issue 13): a `NextFrameConvLSTM`
  stack runs over the input frames and predicts each next frame as a dynamic
  filter of the current one; after the view point (the last input frame) it
  is fed its own predictions (`"future"`). A second, one-level stack starts
  from its top state at the view point and walks back, predicting each past
  frame from the true frame after it (`"past"`). No step sees a frame later,
  in its own direction of time, than the one it predicts.
- `design="encoder_decoder"` (presets `unconditioned` and `as_posted`): the
  post's encoder of `StridedConvLSTM2D` levels, each halving the
  resolution, and two unconditioned decoders of `TransposedConvLSTM2D`
  levels, started from the encoder's final states at the same resolutions
  and fed the deepest encoder output (the code) at every step; a per-pixel
  sigmoid `Dense` makes the frames. They never see a frame: the future
  decoder must invent the motion (it fades to grey, docs/FAILURES.md).
"""
import keras

from aezoo.layers import HazeFloor
from aezoo.layers import NextFrameConvLSTM
from aezoo.layers import RepeatFrames
from aezoo.layers import StridedConvLSTM2D
from aezoo.layers import TransposedConvLSTM2D
from aezoo.layers import ViewPointFrames
from aezoo.layers.next_frame_conv_lstm import FILTER_SHARING
from aezoo.layers.next_frame_conv_lstm import HEADS
from aezoo.layers.spatial_lstm import CELLS
from aezoo.losses import FrameMSE
from aezoo.losses import L1L2Error
from aezoo.losses import L2SSIMError
from aezoo.losses import SumSquaredError
from aezoo.models import common

DESIGNS = ("conditional", "encoder_decoder")
# Each design's own keys; a preset of one design sets the other's to None.
CONDITIONAL_ONLY = (
    "patch_size", "head", "filter_size", "past_channels", "past_inputs", "context_loss_weight",
    "motion_input", "null_tap", "filter_sharing", "ssim_weight", "haze_floor",
)
ENCODER_DECODER_ONLY = ("output_channels", "padding", "recurrent_kernel_size", "cell")

# The public contract every preset keeps: 10 frames in, 10 future and 9 past
# frames out, 64x64 grey frames (Moving MNIST).
CLIP = {"frames_in": 10, "frames_out": 10, "frames_past": 9, "image_size": 64, "image_channels": 1}

PRESETS = {
    # The conditional next-frame design (issue 13): one conv-LSTM stack over
    # the frames at 16x16 (patch 4), each step predicting the next frame as a
    # dynamic filter of the current one, fed its own predictions after the
    # view point; the past head walks back from the view point, predicting
    # each past frame from the true frame after it.
    "default": {
        "design": "conditional",
        **CLIP,
        "channels": (64, 64),
        "patch_size": 4,
        "kernel_size": 3,
        "head": "dynamic_filter",
        "filter_size": 9,
        "past_channels": (64,),
        "past_inputs": "frames",
        "context_loss_weight": 1.0,
        # Each step reads [frame, frame - previous] (session 9's artifact;
        # docs/BENCHMARKS.md, "Knobs of the chosen design at equal data").
        "motion_input": True,
        "null_tap": False,
        # One dynamic filter per 4x4 patch (`NextFrameConvLSTM`'s
        # filter_sharing): the same curve per sequence as one per pixel,
        # 1.3x the sequences/s (docs/BENCHMARKS.md, session 15).
        "filter_sharing": "patch",
        # Layer-normalized gate maps (`NextFrameConvLSTM`'s layer_norm).
        "layer_norm": False,
        # Emitted frames (both heads) have their values up to 0.1 taken to
        # 0 at inference, those from 0.2 kept (`HazeFloor`; identity in
        # training): the haze squared error leaves costs SSIM, not squared
        # error (docs/BENCHMARKS.md, session 16). 0.0 keeps every value.
        "haze_floor": 0.1,
        # Weight of the 1 - SSIM term of loss="l2_ssim_error" (unused by
        # the other losses).
        "ssim_weight": 0.1,
        **dict.fromkeys(ENCODER_DECODER_ONLY),  # keys of the other design: None
        "unroll": False,
        "loss": "mean_squared_error",
        **common.training_keys("adam", 1e-2, global_clipnorm=1.0),
    },
    # The unconditioned encoder-decoder that shipped before issue 13: two
    # decoders that never see a frame (its future fades to grey).
    "unconditioned": {
        "design": "encoder_decoder",
        **CLIP,
        "channels": (16, 32, 64),
        "output_channels": 8,
        "kernel_size": 3,
        "recurrent_kernel_size": 3,
        "padding": "same",
        "cell": "lstm",
        "layer_norm": False,
        **dict.fromkeys(CONDITIONAL_ONLY),  # keys of the other design: None
        "unroll": False,
        "loss": "mean_squared_error",
        **common.training_keys("adam", 5e-3, global_clipnorm=1.0),
    },
    # The post: six levels 64 -> 1 with 3..96 channels, 2x2 stride-2 input
    # kernels, 3x3 state kernels, a 2-channel full-resolution level, the
    # post's own cell (ReLU candidate, unsquashed output, 1-channel gates);
    # summed squared error, RMSProp 0.005, no clipping.
    "as_posted": {
        "design": "encoder_decoder",
        **CLIP,
        "channels": (3, 6, 12, 24, 48, 96),
        "output_channels": 2,
        "kernel_size": 2,
        "recurrent_kernel_size": 3,
        "padding": "valid",
        "cell": "posted",
        "layer_norm": False,
        **dict.fromkeys(CONDITIONAL_ONLY),  # keys of the other design: None
        "unroll": False,
        "loss": "batch_sum_squared_error",
        **common.training_keys("rmsprop", 5e-3),
    },
}

LOSSES = (
    "mean_squared_error", "l1_l2_error", "l2_ssim_error", "binary_crossentropy",
    "batch_sum_squared_error",
)



def convlstm_bidir_predictor(design="encoder_decoder", **config):
    """Conv-LSTM predictor of future frames and reversed past frames (seed 000).

    `design="conditional"` (the default preset) is a next-frame predictor fed
    its own predictions; `design="encoder_decoder"` (`as_posted`,
    `unconditioned`) is the post's encoder with two unconditioned decoders.
    """
    common.check_choice("design", design, DESIGNS)
    unused = CONDITIONAL_ONLY if design == "encoder_decoder" else ENCODER_DECODER_ONLY
    given = sorted(key for key in unused if config.get(key) is not None)
    if given:
        raise ValueError(
            f"{', '.join(given)} do not apply to design={design!r} (leave them "
            f"None); its keys are the others. Received: "
            + ", ".join(f"{key}={config[key]!r}" for key in given)
        )
    config = {key: value for key, value in config.items() if key not in unused}
    if design == "conditional":
        return _create_conditional_predictor(**config)
    return _create_convlstm_bidir_predictor(**config)


def _create_conditional_predictor(
    frames_in,
    frames_out,
    frames_past,
    image_size,
    image_channels,
    channels,
    patch_size,
    kernel_size,
    head,
    filter_size,
    past_channels,
    past_inputs,
    context_loss_weight,
    motion_input,
    null_tap,
    filter_sharing,
    ssim_weight,
    haze_floor,
    layer_norm,
    unroll,
    loss,
    optimizer,
    learning_rate,
    global_clipnorm,
    clipvalue,
):
    """The conditional design: see `NextFrameConvLSTM`.

    The future head runs over the input frames (teacher forced, each step's
    prediction of the next input frame adds to the loss with weight
    `context_loss_weight`) and then feeds itself its own predictions. The
    past head is a second, smaller stack that starts from the future stack's
    top `len(past_channels)` states at the view point (the last input frame)
    and predicts the frames before it, newest first: from its own previous
    prediction (`past_inputs="predictions"`) or from the true input frame
    after the one it predicts (`"frames"`). No step sees a frame later, in
    its own direction of time, than the one it predicts. With
    `haze_floor > 0`, both heads' frames pass a `HazeFloor` (values up to
    `haze_floor` go to 0 at inference; the identity in training), after the
    stack, which is fed its raw predictions.
    """
    _check_frames(frames_in, frames_out, frames_past)
    common.check_int("image_size", image_size, maximum=common.MAX_UNITS)
    common.check_int("image_channels", image_channels, maximum=common.MAX_UNITS)
    channels = common.check_int_tuple("channels", channels, maximum=common.MAX_UNITS)
    past_channels = common.check_int_tuple("past_channels", past_channels, maximum=common.MAX_UNITS)
    if len(past_channels) > len(channels) or past_channels != channels[len(channels) - len(past_channels):]:
        raise ValueError(
            "The past head starts from the future stack's top levels, so "
            "`past_channels` must be the last entries of `channels` "
            f"{channels}. Received: past_channels={past_channels}"
        )
    common.check_int("patch_size", patch_size, maximum=common.MAX_UNITS)
    if image_size % patch_size:
        raise ValueError(
            f"`image_size` must be divisible by `patch_size`. Received: "
            f"image_size={image_size}, patch_size={patch_size}"
        )
    common.check_int("kernel_size", kernel_size, maximum=common.MAX_UNITS)
    common.check_choice("head", head, HEADS)
    common.check_int("filter_size", filter_size, maximum=common.MAX_UNITS)
    common.check_choice("past_inputs", past_inputs, ("predictions", "frames"))
    common.check_float("context_loss_weight", context_loss_weight)
    common.check_bool("unroll", unroll)
    common.check_bool("motion_input", motion_input)
    common.check_bool("null_tap", null_tap)
    common.check_bool("layer_norm", layer_norm)
    common.check_float("ssim_weight", ssim_weight)
    haze_floor = common.check_float("haze_floor", haze_floor, maximum=0.5)
    common.check_choice("filter_sharing", filter_sharing, FILTER_SHARING)
    if filter_sharing != "pixel" and head != "dynamic_filter":
        raise ValueError(
            "`filter_sharing` shares the dynamic filter; it needs "
            f"head='dynamic_filter'. Received: head={head!r}"
        )
    if null_tap and head != "dynamic_filter":
        raise ValueError(
            "`null_tap` is a tap of the dynamic filter; it needs "
            f"head='dynamic_filter'. Received: head={head!r}"
        )
    common.check_choice("loss", loss, LOSSES)
    stack_args = dict(
        patch_size=patch_size, kernel_size=kernel_size, head=head,
        filter_size=filter_size, unroll=unroll, motion_input=motion_input,
        null_tap=null_tap, filter_sharing=filter_sharing, layer_norm=layer_norm,
    )
    frames = keras.Input(
        (frames_in, image_size, image_size, image_channels), name="frames"
    )
    predictions, *states = NextFrameConvLSTM(
        channels, predict_steps=frames_out, context_loss_weight=context_loss_weight,
        return_state=True, name="future_stack", **stack_args,
    )(frames)
    # With a haze floor, the named outputs are `HazeFloor` layers (identity
    # in training); without one, the graph is the one shipped before it.
    floor = haze_floor > 0
    future = keras.layers.Cropping3D(
        ((frames_in - 1, 0), (0, 0), (0, 0)), name="future_frames" if floor else "future",
    )(predictions)
    if floor:
        future = HazeFloor(haze_floor, name="future")(future)
    # The top hidden state at the view point, which both heads start from:
    # checked for collapse like every aezoo code.
    states[-2] = keras.layers.Identity(name="code")(states[-2])
    if past_inputs == "predictions":
        # The view-point frame, then its own predictions.
        past_context, past_steps = ViewPointFrames(1, name="view_point_frame")(frames), frames_past
    else:
        # The true frames after each predicted one: frames_in-1 .. frames_in-frames_past.
        past_context, past_steps = ViewPointFrames(frames_past, name="view_point_frames")(frames), 1
    past = NextFrameConvLSTM(
        past_channels, predict_steps=past_steps, name="past_stack", **stack_args,
    )(past_context, initial_state=states[2 * (len(channels) - len(past_channels)):])
    past = HazeFloor(haze_floor, name="past")(past) if floor else keras.layers.Identity(name="past")(past)
    model = keras.Model(frames, {"future": future, "past": past}, name="convlstm_bidir_predictor")
    _compile(model, loss, optimizer, learning_rate, global_clipnorm, clipvalue, ssim_weight)
    return model


def _check_frames(frames_in, frames_out, frames_past):
    common.check_int("frames_in", frames_in, minimum=2, maximum=common.MAX_UNITS)
    common.check_int("frames_out", frames_out, maximum=common.MAX_UNITS)
    common.check_int("frames_past", frames_past, maximum=common.MAX_UNITS)
    if frames_past > frames_in - 1:
        raise ValueError(
            "`frames_past` counts the frames before the last input frame, so it "
            f"must be <= frames_in - 1 = {frames_in - 1}. "
            f"Received: frames_past={frames_past}"
        )


def _compile(model, loss, optimizer, learning_rate, global_clipnorm, clipvalue, ssim_weight=0.1):
    loss_fn = {
        "mean_squared_error": keras.losses.MeanSquaredError,
        # Pixels as Bernoulli probabilities (Srivastava et al. 2015).
        "binary_crossentropy": keras.losses.BinaryCrossentropy,
        # Squared plus absolute error: sharper, less haze (docs/BENCHMARKS.md).
        "l1_l2_error": L1L2Error,
        # Squared error plus weighted 1 - SSIM: haze costs (docs/BENCHMARKS.md).
        "l2_ssim_error": lambda: L2SSIMError(ssim_weight=ssim_weight),
        "batch_sum_squared_error": lambda: SumSquaredError(reduction="sum"),
    }[loss]()
    model.compile(
        optimizer=common.make_optimizer(
            optimizer, learning_rate, global_clipnorm, clipvalue
        ),
        loss={"future": loss_fn, "past": loss_fn},
        metrics={"future": [FrameMSE()], "past": [FrameMSE()]},
    )


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
    _check_frames(frames_in, frames_out, frames_past)
    common.check_int("image_size", image_size, maximum=common.MAX_UNITS)
    common.check_int("image_channels", image_channels, maximum=common.MAX_UNITS)
    channels = common.check_int_tuple("channels", channels, maximum=common.MAX_UNITS)
    common.check_int("output_channels", output_channels, maximum=common.MAX_UNITS)
    common.check_int("kernel_size", kernel_size, maximum=common.MAX_UNITS)
    common.check_int("recurrent_kernel_size", recurrent_kernel_size, maximum=common.MAX_UNITS)
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
    _compile(model, loss, optimizer, learning_rate, global_clipnorm, clipvalue)
    return model
