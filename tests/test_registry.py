import subprocess
import sys
import textwrap

import pytest

import aezoo
from aezoo import registry

FIVE = [
    "conv_autoencoder",
    "convlstm_bidir_predictor",
    "lstm_sequence_classifier",
    "mlp_autoencoder",
    "sparse_autoencoder",
]


def test_lists_the_five_documented_models():
    assert aezoo.list_models() == FIVE


@pytest.mark.parametrize(
    "pattern,expected",
    [
        ("*autoencoder", ["conv_autoencoder", "mlp_autoencoder", "sparse_autoencoder"]),
        ("conv*", ["conv_autoencoder", "convlstm_bidir_predictor"]),
        ("lstm_*", ["lstm_sequence_classifier"]),
        ("nothing*", []),
    ],
)
def test_wildcards_filter(pattern, expected):
    assert aezoo.list_models(pattern) == expected


def test_every_model_has_default_and_as_posted():
    for name in FIVE:
        presets = aezoo.list_presets(name)
        assert presets[0] == "default" and "as_posted" in presets, presets
    # The predictor also keeps the unconditioned design it shipped before issue 13.
    assert aezoo.list_presets("convlstm_bidir_predictor") == ["default", "as_posted", "unconditioned"]


def test_unknown_name_suggests_close_matches():
    with pytest.raises(ValueError, match=r"Unknown model name: 'convlstm_bidir_predicter'.*Did you mean: convlstm_bidir_predictor"):
        aezoo.build("convlstm_bidir_predicter")
    with pytest.raises(ValueError, match=r"Unknown model name: 'resnet50'.*Registered models: conv_autoencoder"):
        aezoo.describe("resnet50")


def test_unknown_preset_lists_presets():
    with pytest.raises(ValueError, match=r"Unknown preset 'as_post'.*Valid presets: default, as_posted"):
        aezoo.build("mlp_autoencoder", preset="as_post")


def test_unknown_override_lists_valid_keys():
    with pytest.raises(ValueError, match=r"Unknown override\(s\) for model 'conv_autoencoder': code_dim\. Valid keys: activation, .*code_size"):
        aezoo.build("conv_autoencoder", code_dim=8)


@pytest.mark.parametrize(
    "name,overrides,message",
    [
        ("conv_autoencoder", {"code_size": 0}, r"`code_size` must be an integer >= 1 and <= 65536. Received: code_size=0"),
        ("conv_autoencoder", {"code_size": 2**40}, r"`code_size` must be an integer >= 1 and <= 65536. Received: code_size=1099511627776"),
        ("conv_autoencoder", {"filters": (16, 2**40)}, r"`filters` must be 2 integers >= 1 and <= 65536"),
        ("mlp_autoencoder", {"hidden_layers": 10**12}, r"`hidden_layers` must be an integer >= 1 and <= 1024"),
        ("lstm_sequence_classifier", {"units": 2**40}, r"`units` must be an integer >= 1 and <= 65536"),
        ("sparse_autoencoder", {"hidden_units": 2**40}, r"`hidden_units` must be an integer >= 1 and <= 65536"),
        ("conv_autoencoder", {"kernel_sizes": (5,)}, r"Received: kernel_sizes=\(5,\)"),
        ("conv_autoencoder", {"image_size": 30}, r"divisible by 4. Received: image_size=30"),
        ("conv_autoencoder", {"activation": "relu7"}, r"Received: activation='relu7'"),
        ("convlstm_bidir_predictor", {"frames_past": 10}, r"<= frames_in - 1 = 9. Received: frames_past=10"),
        ("convlstm_bidir_predictor", {"channels": ()}, r"Received: channels=\(\)"),
        ("convlstm_bidir_predictor", {"image_size": 62}, r"divisible by `patch_size`. Received: image_size=62, patch_size=4"),
        ("convlstm_bidir_predictor", {"past_channels": (32,)}, r"last entries of `channels` \(64, 64\). Received: past_channels=\(32,\)"),
        ("convlstm_bidir_predictor", {"head": "conv"}, r"Received: head='conv'"),
        ("convlstm_bidir_predictor", {"padding": "same"}, r"padding do not apply to design='conditional' \(leave them None\).*Received: padding='same'"),
        ("convlstm_bidir_predictor", {"design": "gan"}, r"Received: design='gan'"),
        ("convlstm_bidir_predictor", {"loss": "l1"}, r"Received: loss='l1'"),
        ("lstm_sequence_classifier", {"stateful": True}, r"fixed `batch_size`. Received: stateful=True, batch_size=None"),
        ("mlp_autoencoder", {"optimizer": "adamw"}, r"`optimizer` must be one of 'adam', 'rmsprop', 'sgd'. Received: optimizer='adamw'"),
        ("mlp_autoencoder", {"learning_rate": 0}, r"Received: learning_rate=0"),
        ("mlp_autoencoder", {"kernel_initializer": "xavier"}, r"Received: kernel_initializer='xavier'"),
        ("sparse_autoencoder", {"rho": 1.5}, r"Received: rho=1.5"),
        ("sparse_autoencoder", {"noise": "pink"}, r"Received: noise='pink'"),
        ("mlp_autoencoder", {"learning_rate": float("inf")}, r"Override 'learning_rate' of model 'mlp_autoencoder' must be finite \(no inf or nan\). Received: learning_rate=inf"),
        ("sparse_autoencoder", {"rho": float("nan")}, r"must be finite \(no inf or nan\). Received: rho=nan"),
        ("conv_autoencoder", {"kernel_sizes": (5, float("-inf"))}, r"must be finite \(no inf or nan\). Received: kernel_sizes=\(5, -inf\)"),
    ],
)
def test_invalid_values_name_the_argument(name, overrides, message):
    with pytest.raises(ValueError, match=message):
        aezoo.build(name, **overrides)


def test_overrides_reach_the_model():
    model = aezoo.build("conv_autoencoder", code_size=7)
    assert model.get_layer("code").units == 7
    model = aezoo.build("convlstm_bidir_predictor", frames_in=4, frames_out=3, frames_past=2,
                        image_size=16, channels=(4, 8), past_channels=(8,), filter_size=5)
    assert model.get_layer("future_stack").filter_size == 5
    assert model.output["future"].shape == (None, 3, 16, 16, 1)
    assert model.output["past"].shape == (None, 2, 16, 16, 1)


def test_presets_are_not_mutated_by_overrides():
    aezoo.build("mlp_autoencoder", units=3)
    assert aezoo.get_config("mlp_autoencoder")["units"] == 16


def test_describe_reports_specs_and_size():
    info = aezoo.describe("convlstm_bidir_predictor")
    assert info["source"] == "seed 000"
    assert info["inputs"].startswith("(batch, 10, 64, 64, 1)")
    assert '"future": (batch, 10, 64, 64, 1)' in info["outputs"]
    assert info["presets"] == ["default", "as_posted", "unconditioned"]
    model = aezoo.build("convlstm_bidir_predictor")
    assert info["parameters"] == model.count_params()
    assert info["flops_per_example"] > 1e9


def test_registration_rules():
    with pytest.raises(ValueError, match="must include 'default'"):
        registry.register_model(presets={"x": {}}, task="", dataset="", source="", inputs="", outputs="")
    with pytest.raises(ValueError, match=r"Preset 'b' must have the same keys as 'default'. Missing: \['u'\]"):
        registry.register_model(presets={"default": {"u": 1}, "b": {}}, task="", dataset="", source="", inputs="", outputs="")

    def conv_autoencoder(**config):
        """An impostor."""

    with pytest.raises(ValueError, match="already registered"):
        registry.register_model(presets={"default": {}}, task="", dataset="", source="", inputs="", outputs="")(conv_autoencoder)


@pytest.mark.slow
def test_entry_point_plugin_registers_a_model(tmp_path):
    # A real installed distribution, as pip leaves it: a module plus a
    # dist-info folder whose entry_points.txt names the group aezoo.models.
    (tmp_path / "aezoo_toy_plugin.py").write_text(textwrap.dedent('''
        import keras
        from aezoo import register_model

        @register_model(presets={"default": {"units": 3}}, task="toy", dataset="signal",
                        source="plugin", inputs="(batch, 1)", outputs="(batch, 1)")
        def toy_plugin_model(units):
            """A model from a third-party package."""
            inputs = keras.Input((1,))
            model = keras.Model(inputs, keras.layers.Dense(units)(inputs))
            model.compile("adam", "mse")
            return model
    '''))
    dist = tmp_path / "aezoo_toy_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: aezoo-toy-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[aezoo.models]\ntoy = aezoo_toy_plugin\n")
    script = (
        "import aezoo; print(aezoo.list_models('toy*')); "
        "print(aezoo.build('toy_plugin_model', units=5).output.shape)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True, text=True, timeout=120,
        env={**__import__("os").environ, "PYTHONPATH": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "['toy_plugin_model']" in result.stdout
    assert "(None, 5)" in result.stdout


@pytest.mark.slow
def test_a_broken_plugin_is_reported_not_fatal(tmp_path):
    dist = tmp_path / "aezoo_broken-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: aezoo-broken\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[aezoo.models]\nbroken = no_such_module_xyz\n")
    result = subprocess.run(
        [sys.executable, "-c", "import aezoo; print(len(aezoo.list_models()))"],
        capture_output=True, text=True, timeout=120,
        env={**__import__("os").environ, "PYTHONPATH": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("5")
    assert "could not load model plugin 'broken'" in result.stderr
