"""Input validation of `aezoo.predict` and `aezoo predict`."""

import numpy as np
import pytest

import aezoo
from aezoo import cli
from aezoo.artifact import InputError


@pytest.fixture(scope="module")
def model():
    return aezoo.build("conv_autoencoder")


@pytest.fixture(scope="module")
def exported(model, tmp_path_factory):
    out = tmp_path_factory.mktemp("artifacts") / "conv"
    aezoo.export(model, out)
    return out


def _good(count=3):
    return np.random.default_rng(0).random((count, 28, 28, 1), dtype="float32")


def test_predict_matches_the_model_and_splits_batches(model):
    x = _good(5)
    np.testing.assert_allclose(aezoo.predict(model, x, batch_size=2), model.predict_on_batch(x), atol=1e-6)


def test_predict_returns_named_outputs_for_the_predictor():
    model = aezoo.build("convlstm_bidir_predictor", channels=(4,), past_channels=(4,))
    x = np.random.default_rng(0).random((1, 10, 64, 64, 1), dtype="float32")
    outputs = aezoo.predict(model, x)
    assert sorted(outputs) == ["future", "past"]
    np.testing.assert_allclose(outputs["future"], model.predict_on_batch(x)["future"], atol=1e-6)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda x: x.astype("float64"), r"image must be float32; got float64: convert it with x.astype\('float32'\)"),
        (lambda x: (x * 255).astype("uint8"), r"got uint8: scale it to floats in \[0, 1\], e.g. x.astype\('float32'\) / 255"),
        (lambda x: x[0], r"got one example of shape \(28, 28, 1\): add a batch axis, e.g. x\[None\]"),
        (lambda x: x[..., 0], r"image must have rank 4 \(batch, 28, 28, 1\); got shape \(3, 28, 28\)"),
        (lambda x: np.zeros((3, 32, 32, 1), "float32"), r"image must have shape \(batch, 28, 28, 1\); got \(3, 32, 32, 1\)"),
        (lambda x: np.where(np.arange(x.size).reshape(x.shape) == 7, np.nan, x).astype("float32"),
         r"1 NaN or infinite values \(first at index \(0, 0, 7, 0\)\)"),
        (lambda x: x * 2, r"image values must lie in \[0, 1\]; got \[.*\]"),
        (lambda x: x[:0], r"empty batch"),
    ],
)
def test_bad_inputs_are_refused_with_the_fix(model, make, message):
    with pytest.raises(InputError, match=message):
        aezoo.predict(model, make(_good()))


def test_cli_predict_writes_npy_and_png(exported, tmp_path, capsys, model):
    x = _good()
    np.save(tmp_path / "in.npy", x)
    code = cli.main([
        "predict", str(exported), "--input", str(tmp_path / "in.npy"),
        "--out", str(tmp_path / "out.npy"), "--picture", str(tmp_path / "out.png"),
    ])
    assert code == 0, capsys.readouterr().err
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), model.predict_on_batch(x), atol=1e-6)
    assert (tmp_path / "out.png").stat().st_size > 1000


def test_cli_predict_bad_input_is_one_line_exit_2(exported, tmp_path, capsys):
    np.save(tmp_path / "in.npy", _good().astype("float64"))
    code = cli.main([
        "predict", str(exported), "--input", str(tmp_path / "in.npy"), "--out", str(tmp_path / "o.npy"),
    ])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "in.npy: image must be float32; got float64" in err
    assert not (tmp_path / "o.npy").exists()


def test_cli_predict_unreadable_input(exported, tmp_path, capsys):
    (tmp_path / "in.npy").write_bytes(b"not an array")
    code = cli.main(["predict", str(exported), "--input", str(tmp_path / "in.npy"), "--out", str(tmp_path / "o.npy")])
    assert code == 2 and "cannot read" in capsys.readouterr().err


def test_predict_traces_once_for_any_batch_sizes():
    from aezoo.artifact import inference

    model = aezoo.build("mlp_autoencoder")
    for count in (3, 70, 5):  # 70: a full batch of 64, then 6
        aezoo.predict(model, np.zeros((count, 1), "float32"))
    assert inference._COMPILED[model].experimental_get_tracing_count() == 1
