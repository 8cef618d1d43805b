"""Checks run at every epoch end reuse one traced function per model."""

import logging

import keras
import numpy as np

from aezoo import diagnostics


def test_repeated_checks_do_not_retrace(caplog):
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(3, activation="sigmoid", name="h")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(4)(hidden))
    x = np.random.default_rng(0).uniform(size=(20, 4)).astype("float32")
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        for _ in range(7):
            diagnostics.activation_sparsity(model, x, layer_name="h", rho=0.1, batch_size=8)
            diagnostics.code_spread(model, x, layer_name="h")
    assert "retracing" not in caplog.text
