"""The model families; importing this package registers them."""

from aezoo.models import conv_autoencoder  # noqa: F401
from aezoo.models import convlstm_bidir_predictor  # noqa: F401
from aezoo.models import lstm_sequence_classifier  # noqa: F401
from aezoo.models import mlp_autoencoder  # noqa: F401
from aezoo.models import sparse_autoencoder  # noqa: F401
