"""The model families, one folder each; importing this package registers them.

Each family folder holds its factory and presets (`model.py`), its data
layout (`data.py`), metrics and quality bar (`metrics.py`), pictures
(`pictures.py`) and search space (`space.py`); its `__init__.py` registers
them as one `aezoo.family.ModelFamily`.
"""

from aezoo.models import conv_autoencoder  # noqa: F401
from aezoo.models import convlstm_bidir_predictor  # noqa: F401
from aezoo.models import lstm_sequence_classifier  # noqa: F401
from aezoo.models import mlp_autoencoder  # noqa: F401
from aezoo.models import sparse_autoencoder  # noqa: F401
