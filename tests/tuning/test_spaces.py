"""Every point of every search space builds a valid model, bounds included."""

import keras_tuner
import numpy as np
import pytest

import aezoo
from aezoo import tuning

# The predictor is only built (a forward pass of its largest corner is slow).
BUILD_ONLY = {"convlstm_bidir_predictor"}


def _corner(hypermodel, which):
    """HyperParameters at the all-min or all-max corner of the space."""
    hp = keras_tuner.HyperParameters()
    hypermodel.overrides(hp)
    for param in hp.space:
        if isinstance(param, keras_tuner.engine.hyperparameters.Choice):
            hp.values[param.name] = param.values[0 if which == "min" else -1]
        elif isinstance(param, keras_tuner.engine.hyperparameters.Boolean):
            hp.values[param.name] = which == "max"
        else:
            hp.values[param.name] = param.min_value if which == "min" else param.max_value
    return hp


def _random_point(hypermodel, seed):
    hp = keras_tuner.HyperParameters()
    hypermodel.overrides(hp)
    for index, param in enumerate(hp.space):
        hp.values[param.name] = param.random_sample(seed * 100 + index)
    return hp


def test_every_registered_model_has_a_space():
    assert sorted(tuning.SPACES) == aezoo.list_models()


@pytest.mark.parametrize("name", sorted(tuning.SPACES))
def test_corners_and_random_points_build(name):
    hypermodel = tuning.hypermodel(name)
    points = [_corner(hypermodel, "min"), _corner(hypermodel, "max")]
    points += [_random_point(hypermodel, seed) for seed in range(1 if name in BUILD_ONLY else 3)]
    sizes = []
    for hp in points:
        model = hypermodel.build(hp)
        sizes.append(model.count_params())
        if name not in BUILD_ONLY:
            shape = (2,) + tuple(model.inputs[0].shape[1:])
            outputs = model.predict_on_batch(np.zeros(shape, "float32"))
            assert np.isfinite(outputs).all()
        # The learning rate of the point is the compiled optimizer's.
        assert float(model.optimizer.learning_rate) == pytest.approx(hp.values["learning_rate"])
    assert sizes[0] <= sizes[1], "the max corner should not be smaller than the min corner"


@pytest.mark.parametrize("name", sorted(tuning.SPACES))
def test_defaults_are_the_default_preset(name):
    overrides = tuning.hypermodel(name).overrides(keras_tuner.HyperParameters())
    assert aezoo.get_config(name, **overrides) == aezoo.get_config(name)


def test_every_parameter_has_a_reason_and_a_default_in_range():
    for name, space in tuning.SPACES.items():
        for param in space.params:
            assert len(param.reason) > 10, (name, param.name)
            if param.kind == "Choice":
                assert param.default in param.bounds
            else:
                assert param.bounds[0] <= param.default <= param.bounds[1], (name, param.name)
    table = tuning.space_table()
    assert all(f"`{name}`" in table for name in tuning.SPACES)


def test_unknown_model_is_refused_with_suggestions():
    with pytest.raises(ValueError, match="Unknown model name: 'conv_autoencodr'. Did you mean: conv_autoencoder"):
        tuning.hypermodel("conv_autoencodr")
    with pytest.raises(ValueError, match=r"Unknown override\(s\) for model 'mlp_autoencoder': width"):
        tuning.hypermodel("mlp_autoencoder", width=3)
