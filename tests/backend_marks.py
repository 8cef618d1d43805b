"""Marks for tests that hold on one Keras backend only.

The layer tests run on TensorFlow in the suite's own process, and again on
JAX in a subprocess (`tests/backends/test_jax_layers.py`); a test that uses
`tf.` APIs or checks one backend's compiler is marked with the backend it
is about.
"""

import keras
import pytest

tensorflow_only = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="uses TensorFlow APIs or checks TF's XLA"
)
jax_only = pytest.mark.skipif(keras.backend.backend() != "jax", reason="checks the JAX backend")
