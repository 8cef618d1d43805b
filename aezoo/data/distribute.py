"""`distributed`: per-replica input pipelines for a `tf.distribute` strategy."""

from aezoo.data._common import check_int
from aezoo.data.for_model import for_model
from aezoo.data.load import DATASETS
from aezoo.data.load import load


def distributed(strategy, name, split="train", *, global_batch_size, **kwargs):
    """A distributed dataset built with `strategy.distribute_datasets_from_function`.

    Each input pipeline builds its own dataset with the per-replica batch
    size (`global_batch_size / num_replicas_in_sync`) and keeps its shard of
    the examples (`input_context.input_pipeline_id` of
    `num_input_pipelines`), so no example is read twice across workers.

    Args:
        strategy: a `tf.distribute.Strategy`.
        name: a dataset name (`aezoo.data.DATASETS`, built with `load`) or a
            registered model name (built with `for_model`).
        split: the split.
        global_batch_size: examples per step over all replicas; must divide
            evenly by the number of replicas.
        **kwargs: further arguments of `load` or `for_model` (not
            `batch_size` or `shard`, which this function sets).

    Returns:
        A `tf.distribute.DistributedDataset`.

    Raises:
        ValueError: `stream=True` with more than one replica (replicas take
            consecutive batches in turn, which breaks each stream's order), or
            what `load` / `for_model` raise.

    Example:

    ```python
    strategy = tf.distribute.MirroredStrategy()
    train = aezoo.data.distributed(strategy, "conv_autoencoder", "train",
                                   global_batch_size=256)
    with strategy.scope():
        model = aezoo.build("conv_autoencoder")
    model.fit(train, epochs=2)
    ```
    """
    global_batch_size = check_int("global_batch_size", global_batch_size, 1)
    reserved = sorted({"batch_size", "shard"} & set(kwargs))
    if reserved:
        raise ValueError(
            f"distributed() sets {', '.join(reserved)} for each replica; pass "
            f"global_batch_size only. Received: {', '.join(f'{k}={kwargs[k]!r}' for k in reserved)}"
        )
    if kwargs.get("stream") and strategy.num_replicas_in_sync > 1:
        raise ValueError(
            "stream=True needs one replica: replicas take consecutive batches "
            "in turn, so a replica's batch k+1 would not continue its batch k. "
            f"Received: stream=True with {strategy.num_replicas_in_sync} replicas"
        )
    make = load if name in DATASETS else for_model

    def dataset_fn(input_context):
        return make(
            name,
            split,
            batch_size=input_context.get_per_replica_batch_size(global_batch_size),
            shard=(input_context.num_input_pipelines, input_context.input_pipeline_id),
            **kwargs,
        )

    return strategy.distribute_datasets_from_function(dataset_fn)
