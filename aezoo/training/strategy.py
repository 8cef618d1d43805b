"""`train(..., strategy=...)`: the `tf.distribute` strategy of a run.

`make_strategy` turns the argument into a strategy; `worker_run_dir` gives
each worker of a multi-worker run its own folder; `distributed_datasets`
shards the recipe's datasets so that a global step sees the examples of a
single-device step.
"""

import os

import keras

STRATEGIES = ("mirrored", "multi_worker")


def make_strategy(strategy):
    """The strategy `train(..., strategy=strategy)` runs under.

    Call it before any TensorFlow op: collective ops are configured at
    start-up.

    Args:
        strategy: `None`, a name in `STRATEGIES`, or a
            `tf.distribute.Strategy`.

    Returns:
        `None` (one device) or a `tf.distribute.Strategy`.

    Raises:
        ValueError: an unknown name, `"multi_worker"` without `TF_CONFIG`,
            or a strategy on a Keras backend other than TensorFlow.
    """
    if strategy is None:
        return None
    backend = keras.backend.backend()
    if backend != "tensorflow":
        raise ValueError(
            f"strategy={strategy!r} is a tf.distribute strategy, which trains on the "
            f"TensorFlow backend only; this process runs Keras on {backend!r}. Set "
            "KERAS_BACKEND=tensorflow, or leave the strategy out (one device; on JAX, "
            "keras.distribution shards over its devices)."
        )
    import tensorflow as tf

    if isinstance(strategy, tf.distribute.Strategy):
        return strategy
    if strategy == "mirrored":
        return tf.distribute.MirroredStrategy()
    if strategy == "multi_worker":
        if "TF_CONFIG" not in os.environ:
            raise ValueError(
                "strategy='multi_worker' reads the cluster from TF_CONFIG, which is not "
                "set. Set it in every worker process, e.g. TF_CONFIG='{\"cluster\": "
                "{\"worker\": [\"host1:port\", \"host2:port\"]}, \"task\": {\"type\": "
                "\"worker\", \"index\": 0}}' (index 1 on the second worker)."
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(
        f"Unknown strategy {strategy!r}. Valid: {', '.join(STRATEGIES)}, None, or a "
        "tf.distribute.Strategy."
    )


def worker_run_dir(run_dir, strategy):
    """The chief's run folder is `run_dir`; another worker of a multi-worker
    strategy writes beside it, to `run_dir.TYPE<index>` (each worker saves
    its own checkpoints and backup)."""
    if strategy is None or strategy.extended.should_checkpoint:
        return run_dir
    resolver = strategy.cluster_resolver
    return run_dir.with_name(f"{run_dir.name}.{resolver.task_type}{resolver.task_id}")


def distributed_datasets(strategy, family, config, data_args, repeat_train, repeat_validation):
    """The (train, validation) datasets for `strategy`, sharded by batches.

    `aezoo.data.distributed(..., shard_by="batches")`: global step k holds
    the examples of single-device batch k. A split read for a fixed number
    of steps is repeated (the validation split then continues where the
    last evaluation stopped); one read whole is cut to whole global steps.

    Args:
        strategy: a `tf.distribute.Strategy`.
        family: the model's `aezoo.family.ModelFamily`.
        config: its resolved configuration (`aezoo.registry.resolve`).
        data_args: the recipe's `aezoo.data.for_model` arguments
            (`aezoo.training.recipe_data.data_arguments`); `batch_size` is
            the global batch.
        repeat_train: repeat the training split.
        repeat_validation: repeat the validation split.

    Raises:
        ValueError: a stateful model under more than one replica.
    """
    from aezoo import data

    if config.get("stateful") and strategy.num_replicas_in_sync > 1:
        raise ValueError(
            "A stateful model's batch k+1 continues its batch k row by row, which "
            f"{strategy.num_replicas_in_sync} replicas taking batches in turn would "
            "break. Train it without a strategy, or set model_overrides.stateful=false."
        )
    args = {key: value for key, value in data_args.items() if key != "batch_size"}
    return tuple(
        data.distributed(
            strategy, family, split, global_batch_size=data_args["batch_size"],
            shard_by="batches", repeat=repeat, config=config, **args,
        )
        for split, repeat in (("train", repeat_train), ("validation", repeat_validation))
    )
