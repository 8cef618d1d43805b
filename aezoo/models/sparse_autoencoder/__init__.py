"""The sparse autoencoder family (seed 003); importing it registers it."""

from aezoo.family import ModelFamily
from aezoo.models.sparse_autoencoder import data
from aezoo.models.sparse_autoencoder import metrics
from aezoo.models.sparse_autoencoder import pictures
from aezoo.models.sparse_autoencoder.model import PRESETS
from aezoo.models.sparse_autoencoder.model import sparse_autoencoder
from aezoo.models.sparse_autoencoder.space import SPACE
from aezoo.registry import register_model

FAMILY = register_model(ModelFamily(
    name="sparse_autoencoder",
    factory=sparse_autoencoder,
    presets=PRESETS,
    task="sparse denoising reconstruction; filters = hidden units' input weights",
    dataset="mnist",
    source="seed 003",
    value_range=(0, 1),
    inputs="(batch, {input_dim}) float32 in [0, 1]",
    outputs="(batch, {input_dim}) linear; hidden activations in layer 'hidden'",
    data_layout=data.layout,
    evaluate=metrics.evaluate,
    quality_bar=metrics.quality_bar,
    pictures=pictures.pictures,
    prediction_picture=pictures.prediction_picture,
    search_space=SPACE,
))
