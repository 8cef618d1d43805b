"""Input pipelines: MNIST, Moving MNIST and generated toy data as `tf.data`.

`load(name, split)` gives a dataset by name, `for_model(model_name, split)`
the data a registered model trains on, laid out for its inputs and outputs,
and `distributed(strategy, name, split, global_batch_size=...)` the same for a
`tf.distribute` strategy. `sample(model_name, split, count)` gives a model's
real inputs as one NumPy array (what `aezoo predict --input` takes).
`read_mnist` and `read_idx` read MNIST IDX files.
"""

from aezoo.data.distribute import distributed
from aezoo.data.errors import DataNotFoundError
from aezoo.data.errors import IdxFormatError
from aezoo.data.for_model import for_model
from aezoo.data.idx import read_idx
from aezoo.data.load import DATASETS
from aezoo.data.load import load
from aezoo.data.mnist import read_mnist
from aezoo.data.sample import sample
