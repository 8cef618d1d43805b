"""A model family from a third-party package, registered through the
`aezoo.models` entry point: aezoo builds, loads data for, trains,
evaluates, exports and tunes it by asking its `ModelFamily`, with no change
anywhere in aezoo."""

import importlib.metadata
import json
import sys
import textwrap

import numpy as np
import pytest

import aezoo
from aezoo import data
from aezoo import registry

PLUGIN = textwrap.dedent('''
    """A toy plugin: one family, every hook given, its recipes beside it."""

    import pathlib

    import keras

    from aezoo import register_model
    from aezoo.family import DataLayout
    from aezoo.family import ModelFamily
    from aezoo.search_space import Param
    from aezoo.search_space import Space
    from aezoo.search_space import learning_rate


    def toy_identity(units, learning_rate):
        """A one-hidden-layer identity on signals (a plugin's model)."""
        signal = keras.Input((1,), name="signal")
        hidden = keras.layers.Dense(units, activation="relu", name="hidden")(signal)
        model = keras.Model(signal, keras.layers.Dense(1, name="estimate")(hidden), name="toy_identity")
        model.compile(keras.optimizers.Adam(learning_rate), "mean_squared_error")
        return model


    def evaluate(model, batches, config):
        total, count = 0.0, 0
        for x, y in batches:
            total += float(((model.predict_on_batch(x) - y) ** 2).sum())
            count += len(x)
        return {"examples": count, "mse": total / count}


    def pictures(model, inputs, targets, folder):
        from aezoo import drawing

        estimates = model.predict_on_batch(inputs)
        return [drawing.estimate_plot(inputs, estimates, folder / "estimates.png")]


    register_model(ModelFamily(
        name="toy_identity",
        factory=toy_identity,
        presets={"default": {"units": 8, "learning_rate": 1e-2}},
        task="toy: output the input",
        dataset="signal",
        source="plugin",
        inputs="(batch, 1) float32 in [-1, 1]",
        outputs="(batch, 1)",
        value_range=(-1, 1),
        data_layout=lambda config: DataLayout({"dim": 1}),
        evaluation_options={"num_examples": 64},
        evaluate=evaluate,
        quality_bar=lambda metrics: (metrics["mse"] < 1.0, "MSE < 1"),
        pictures=pictures,
        recipes_dir=pathlib.Path(__file__).parent / "recipes",
        search_space=Space(
            (Param("units", "Int", (4, 16), 8, step=4, reason="hidden width of the toy"),
             learning_rate(1e-3, 1e-1, 1e-2)),
            lambda values: dict(values),
        ),
    ))
''')

RECIPE = textwrap.dedent('''
    model = "toy_identity"
    preset = "default"

    [data]
    batch_size = 16
    options = {num_examples = 64}

    [fit]
    epochs = 2
''')


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """The toy family's module on the path and its entry point in the
    group; the registry as it was is restored afterwards."""
    (tmp_path / "aezoo_toy_family.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    entry_point = importlib.metadata.EntryPoint(
        name="toy", value="aezoo_toy_family", group=registry.ENTRY_POINT_GROUP
    )
    installed = importlib.metadata.entry_points

    def entry_points(**selection):
        if selection.get("group") == registry.ENTRY_POINT_GROUP:
            return [entry_point]
        return installed(**selection)

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    monkeypatch.setattr(registry, "_MODELS", dict(registry._MODELS))
    monkeypatch.setattr(registry, "_plugins_loaded", False)
    yield "toy_identity"
    sys.modules.pop("aezoo_toy_family", None)


def test_the_plugin_family_is_listed_built_described_and_given_data(plugin):
    from aezoo.training.evaluate import quality_bar
    from aezoo.tuning import get_space

    assert plugin in aezoo.list_models("toy*")
    assert aezoo.build(plugin, units=5).get_layer("hidden").units == 5
    assert aezoo.describe(plugin)["parameters"] == 8 * 2 + 8 + 1
    inputs, targets = next(iter(data.for_model(plugin, "test", batch_size=4)))
    assert inputs.shape == (4, 1)
    np.testing.assert_array_equal(inputs, targets)
    assert quality_bar(plugin, {"mse": 0.5}) == (True, "MSE < 1")
    assert [p.name for p in get_space(plugin).params] == ["units", "learning_rate"]


def test_a_hook_the_family_lacks_is_named_in_one_line(plugin):
    from aezoo.training.pictures import prediction_picture

    with pytest.raises(ValueError, match=r"Model 'toy_identity' \(from aezoo_toy_family\) has no `prediction_picture`"):
        prediction_picture(plugin, np.zeros((1, 1)), np.zeros((1, 1)), "toy.png")


@pytest.mark.slow
def test_the_plugin_family_trains_evaluates_exports_and_tunes(plugin, tmp_path):
    from aezoo import training
    from aezoo import tuning
    from aezoo.training.evaluate import evaluate_run

    recipe = tmp_path / "recipes" / "toy_identity.default.toml"
    recipe.parent.mkdir()
    recipe.write_text(RECIPE)
    # By name: the recipe is read from the family's own recipes_dir.
    result = training.train(plugin, out=tmp_path / "run", verbose=0)
    assert result.recipe["source"] == str(recipe)
    assert result.status == "finished"

    metrics = evaluate_run(tmp_path / "run")
    assert metrics["examples"] == 64 and np.isfinite(metrics["mse"])
    assert (tmp_path / "run" / "pictures" / "estimates.png").is_file()

    card = aezoo.export(result.model, tmp_path / "artifact", name=plugin)
    assert card["model"] == plugin
    reloaded = aezoo.load(tmp_path / "artifact")
    x = np.linspace(-1, 1, 5, dtype="float32")[:, None]
    np.testing.assert_allclose(reloaded.predict_on_batch(x), result.model.predict_on_batch(x), atol=1e-6)

    search = tuning.tune(
        plugin, max_trials=1, epochs=1, steps_per_epoch=2, validation_steps=1,
        directory=tmp_path / "search", trial_processes=False, verbose=0,
    )
    assert search.best_trial is not None
    best = json.loads((tmp_path / "search" / "best" / "card.json").read_text())
    assert best["model"] == plugin
