"""The LSTM sequence classifier family (seed 002); importing it registers it."""

from aezoo.family import ModelFamily
from aezoo.models.lstm_sequence_classifier import data
from aezoo.models.lstm_sequence_classifier import metrics
from aezoo.models.lstm_sequence_classifier import pictures
from aezoo.models.lstm_sequence_classifier.model import PRESETS
from aezoo.models.lstm_sequence_classifier.model import lstm_sequence_classifier
from aezoo.models.lstm_sequence_classifier.space import SPACE
from aezoo.registry import register_model

FAMILY = register_model(ModelFamily(
    name="lstm_sequence_classifier",
    factory=lstm_sequence_classifier,
    presets=PRESETS,
    task="per-step classification of a bit stream: class = 2 * previous + current",
    dataset="bit_pairs",
    source="seed 002",
    value_range=(0, 1),
    inputs="(batch, {sequence_length}, 1) float32 bits, batch-major",
    outputs="(batch, {sequence_length}, {num_classes}) class probabilities per step",
    data_layout=data.layout,
    evaluate=metrics.evaluate,
    quality_bar=metrics.quality_bar,
    pictures=pictures.pictures,
    search_space=SPACE,
))
