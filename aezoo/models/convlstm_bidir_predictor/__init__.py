"""The conv-LSTM predictor family (seed 000); importing it registers it."""

from aezoo.family import ModelFamily
from aezoo.models.convlstm_bidir_predictor import data
from aezoo.models.convlstm_bidir_predictor import metrics
from aezoo.models.convlstm_bidir_predictor import pictures
from aezoo.models.convlstm_bidir_predictor.model import PRESETS
from aezoo.models.convlstm_bidir_predictor.model import convlstm_bidir_predictor
from aezoo.models.convlstm_bidir_predictor.space import SPACE
from aezoo.registry import register_model

FAMILY = register_model(ModelFamily(
    name="convlstm_bidir_predictor",
    factory=convlstm_bidir_predictor,
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
    data_layout=data.layout,
    evaluate=metrics.evaluate,
    quality_bar=metrics.quality_bar,
    pictures=pictures.pictures,
    prediction_picture=pictures.prediction_picture,
    search_space=SPACE,
))
