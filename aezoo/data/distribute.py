"""`distributed`: per-replica input pipelines for a `tf.distribute` strategy."""

from aezoo.data._common import check_int
from aezoo.data.for_model import for_model
from aezoo.data.load import DATASETS
from aezoo.data.load import load


SHARD_BY = ("examples", "batches")


def distributed(
    strategy, name, split="train", *, global_batch_size, shard_by="examples", repeat=False,
    **kwargs,
):
    """A distributed dataset built with `strategy.distribute_datasets_from_function`.

    Each input pipeline (one per worker) builds its own dataset with the
    per-replica batch size (`global_batch_size / num_replicas_in_sync`) and
    keeps its share, chosen by `shard_by`:

    - `"examples"`: its shard of the examples
      (`input_context.input_pipeline_id` of `num_input_pipelines`), taken
      before shuffling, so no example is read twice across workers: the
      choice for large data. A global step then holds other examples than
      the same step on one device.
    - `"batches"`: every pipeline builds the same seeded pipeline and keeps
      every `num_input_pipelines`-th per-replica batch, and a pipeline's
      replicas take consecutive batches, so global step k holds exactly the
      examples of single-device batch k (with the same seed and global
      batch): distributed training reproduces single-device training. Each
      worker reads all the data. `aezoo.train(..., strategy=...)` uses this.
      Unless `repeat`, the split is cut to whole global steps (workers that
      run out of data at different steps deadlock).

    Args:
        strategy: a `tf.distribute.Strategy`.
        name: a dataset name (`aezoo.data.DATASETS`, built with `load`), a
            registered model name or its `aezoo.family.ModelFamily` (built
            with `for_model`).
        split: the split.
        global_batch_size: examples per step over all replicas; must divide
            evenly by the number of replicas.
        shard_by: `"examples"` or `"batches"` (above). Defaults to
            `"examples"`.
        repeat: repeat the split without end (for `fit` with
            `steps_per_epoch` / `validation_steps`). Defaults to `False`.
        **kwargs: further arguments of `load` or `for_model` (not
            `batch_size` or `shard`, which this function sets).

    Returns:
        A `tf.distribute.DistributedDataset`.

    Raises:
        ValueError: an unknown `shard_by`; `stream=True` with more than one
            replica (replicas take consecutive batches in turn, which breaks
            each stream's order); with `shard_by="batches"` and not `repeat`,
            a split of unknown length; or what `load` / `for_model` raise.

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
    if shard_by not in SHARD_BY:
        raise ValueError(
            f"Unknown shard_by {shard_by!r}. Valid values: {', '.join(map(repr, SHARD_BY))}."
        )
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
    make = load if isinstance(name, str) and name in DATASETS else for_model

    def dataset_fn(context):
        pipelines, pipeline_id = context.num_input_pipelines, context.input_pipeline_id
        batch_size = context.get_per_replica_batch_size(global_batch_size)
        if shard_by == "examples":
            batches = make(name, split, batch_size=batch_size, shard=(pipelines, pipeline_id), **kwargs)
            return batches.repeat() if repeat else batches
        batches = make(name, split, batch_size=batch_size, **kwargs)
        if repeat:
            batches = batches.repeat()
        else:
            batches = _whole_steps(batches, split, context.num_replicas_in_sync)
        return batches.shard(pipelines, pipeline_id)

    return strategy.distribute_datasets_from_function(dataset_fn)


def _whole_steps(batches, split, replicas):
    """The batches of `split` without its last, possibly partial, global step."""
    count = int(batches.cardinality())
    if count < 0:
        raise ValueError(
            f"The {split} split has no known length, so its batches cannot be "
            "divided evenly among the workers. Read it for a fixed number of "
            "steps with repeat=True (in a recipe: fit.steps_per_epoch and "
            "fit.validation_steps)."
        )
    return batches.take((count - 1) // replicas * replicas)
