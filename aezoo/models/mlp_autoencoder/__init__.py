"""The MLP autoencoder family (seed 004); importing it registers it."""

from aezoo.family import ModelFamily
from aezoo.models.mlp_autoencoder import data
from aezoo.models.mlp_autoencoder import metrics
from aezoo.models.mlp_autoencoder import pictures
from aezoo.models.mlp_autoencoder.model import PRESETS
from aezoo.models.mlp_autoencoder.model import mlp_autoencoder
from aezoo.models.mlp_autoencoder.space import SPACE
from aezoo.registry import register_model

FAMILY = register_model(ModelFamily(
    name="mlp_autoencoder",
    factory=mlp_autoencoder,
    presets=PRESETS,
    task="signal identity: output the input value",
    dataset="signal",
    source="seed 004",
    value_range=(-1, 1),
    inputs="(batch, {input_dim}) float32 in [-1, 1]",
    outputs="(batch, {input_dim}) estimate of the input",
    data_layout=data.layout,
    evaluation_options=data.EVALUATION_OPTIONS,
    evaluate=metrics.evaluate,
    quality_bar=metrics.quality_bar,
    pictures=pictures.pictures,
    prediction_picture=pictures.prediction_picture,
    search_space=SPACE,
))
