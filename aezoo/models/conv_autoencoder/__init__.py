"""The conv autoencoder family (seed 001); importing it registers it."""

from aezoo.family import ModelFamily
from aezoo.models.conv_autoencoder import data
from aezoo.models.conv_autoencoder import metrics
from aezoo.models.conv_autoencoder import pictures
from aezoo.models.conv_autoencoder.model import PRESETS
from aezoo.models.conv_autoencoder.model import conv_autoencoder
from aezoo.models.conv_autoencoder.space import SPACE
from aezoo.registry import register_model

FAMILY = register_model(ModelFamily(
    name="conv_autoencoder",
    factory=conv_autoencoder,
    presets=PRESETS,
    task="image reconstruction through a low-dimensional code",
    dataset="mnist",
    source="seed 001",
    value_range=(0, 1),
    inputs="(batch, {image_size}, {image_size}, 1) float32 in [0, 1]",
    outputs="(batch, {image_size}, {image_size}, 1) in [0, 1]; code in layer 'code'",
    data_layout=data.layout,
    evaluate=metrics.evaluate,
    quality_bar=metrics.quality_bar,
    pictures=pictures.pictures,
    prediction_picture=pictures.prediction_picture,
    search_space=SPACE,
))
