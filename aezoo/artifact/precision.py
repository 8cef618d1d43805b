"""Mixed-precision models made float32 for export.

A recipe may train under Keras' `mixed_bfloat16` dtype policy (the recipe's
`fit.dtype_policy`): bfloat16 compute, float32 weights. Its checkpoints keep
the policy in every layer's config, so a model loaded from one computes in
bfloat16. An artifact computes in float32 whatever its training policy:
the card's metrics, the SavedModel and the TensorFlow/JAX agreement are
measured on float32 outputs, and a user's `aezoo.load` should not depend on
the CPU's bfloat16 support. `float32_copy` rebuilds such a model from its
config with every policy set to float32 and the same weights.
"""

import keras

FLOAT32 = "float32"


def mixed_policies(model):
    """The names of the non-float32 dtype policies in `model`'s config
    (sorted; empty for a float32 model)."""
    found = set()
    _walk(keras.saving.serialize_keras_object(model), found, rewrite=False)
    return sorted(found)


def trained_policy(model):
    """The mixed policy `model` was built under (e.g. `"mixed_bfloat16"`),
    or `None` for a float32 model. Some layers' configs hold only the
    compute dtype (`"bfloat16"`); the policy's own name is preferred."""
    found = mixed_policies(model)
    return next((name for name in found if name.startswith("mixed_")), found[0] if found else None)


def float32_copy(model):
    """`model` itself if it computes in float32, else a float32 copy.

    The copy is built from `model`'s serialized config with every dtype
    policy (`mixed_bfloat16`, `bfloat16`, ...) replaced by `float32`, is
    compiled as `model` was, and holds the same weights (and optimizer
    state, when `model`'s optimizer is built).

    Args:
        model: a built Keras model.

    Returns:
        A Keras model whose layers all compute in float32.

    Example:

    ```python
    keras.config.set_dtype_policy("mixed_bfloat16")
    model = aezoo.build("mlp_autoencoder")
    keras.config.set_dtype_policy("float32")
    model = float32_copy(model)      # every layer computes in float32
    ```
    """
    config = keras.saving.serialize_keras_object(model)
    found = set()
    _walk(config, found, rewrite=True)
    if not found:
        return model
    copy = keras.saving.deserialize_keras_object(config)
    copy.set_weights(model.get_weights())
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and optimizer.built and getattr(copy, "optimizer", None) is not None:
        copy.optimizer.build(copy.trainable_variables)
        for target, source in zip(copy.optimizer.variables, optimizer.variables):
            target.assign(source)
    return copy


def _walk(node, found, rewrite):
    """Collects (and with `rewrite`, replaces by float32) every non-float32
    dtype policy under `node`: a serialized `DTypePolicy`, or a layer's
    `dtype` given as a policy name."""
    if isinstance(node, dict):
        if node.get("class_name") in ("DTypePolicy", "FloatDTypePolicy") and isinstance(
            node.get("config"), dict
        ):
            name = node["config"].get("name")
            if name and name != FLOAT32 and _is_float_policy(name):
                found.add(name)
                if rewrite:
                    node["config"]["name"] = FLOAT32
            return
        for key, value in node.items():
            if key == "dtype" and isinstance(value, str) and value != FLOAT32 and _is_float_policy(value):
                found.add(value)
                if rewrite:
                    node[key] = FLOAT32
            else:
                _walk(value, found, rewrite)
    elif isinstance(node, list):
        for item in node:
            _walk(item, found, rewrite)


def _is_float_policy(name):
    return name.startswith("mixed_") or name in ("bfloat16", "float16")
