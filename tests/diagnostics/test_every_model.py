"""Every registered model works with the gradient diagnostics."""

import numpy as np
import pytest

from aezoo.diagnostics import GradientStatistics
from aezoo.diagnostics import vanishing_gradients
from tests.models import harness
from tests.tiers import by_model


@pytest.mark.parametrize("name, preset", by_model(harness.all_models_and_presets()))
def test_gradient_statistics_and_vanishing_gradients(name, preset):
    model = harness.build_small(name, preset)
    x, y = harness.example_batch(model, batch_size=4)
    harness.ready_to_train(model, x, y)
    stats = GradientStatistics(histogram_freq=1, verbose=0)
    model.fit(x, y, batch_size=2, epochs=1, verbose=0, callbacks=[stats])
    assert stats.steps == [0, 1]
    assert all(loss is not None and np.isfinite(loss) for loss in stats.losses)
    assert all(np.isfinite(stats.global_norms)) and min(stats.global_norms) > 0
    assert len(stats.variable_norms[0]) == len(model.trainable_variables)

    verdict = vanishing_gradients(model, x, y)
    # Seed 004 by design; seed 000's posted cell (1-channel sigmoid gates,
    # ReLU candidate) also passes almost no gradient back through time and
    # levels at initialization (8e-6 of the output layer's here).
    flagged = (name, preset) in {("mlp_autoencoder", "as_posted"), ("convlstm_bidir_predictor", "as_posted")}
    assert verdict.ok is not flagged, verdict.message
