import subprocess
import sys

import pytest

from aezoo import cli


def test_list_filters(capsys):
    assert cli.main(["list", "*autoencoder"]) == 0
    assert capsys.readouterr().out.split() == [
        "conv_autoencoder", "mlp_autoencoder", "sparse_autoencoder",
    ]


def test_describe_prints_size(capsys):
    assert cli.main(["describe", "mlp_autoencoder"]) == 0
    out = capsys.readouterr().out
    assert "seed 004" in out and "parameters" in out and "321" in out


def test_unknown_model_is_one_line_and_exit_2(capsys):
    assert cli.main(["describe", "conv_autoencodr"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "Unknown model name: 'conv_autoencodr'. Did you mean: conv_autoencoder" in err


def test_bad_command_exits_2_with_hint(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["tran"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'tran'" in capsys.readouterr().err


@pytest.mark.slow
def test_console_script_is_installed():
    result = subprocess.run(
        [sys.executable, "-m", "aezoo.cli", "list", "lstm*"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["lstm_sequence_classifier"]
    assert "Traceback" not in result.stderr


TINY_TRAINING = ["--epochs", "1", "--set", "fit.steps_per_epoch=2", "--set", "fit.validation_steps=1"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A finished 2-step run of the classifier, trained through the command line."""
    run = tmp_path_factory.mktemp("cli") / "run"
    command = ["train", "lstm_sequence_classifier", "--out", str(run), *TINY_TRAINING]
    assert cli.main(command) == 0
    return run, command


def test_rerunning_a_finished_run_says_so(tiny_run, capsys):
    run, command = tiny_run
    assert cli.main(command) == 0
    out = capsys.readouterr().out
    assert f"{run} already holds this run, finished: 1 epoch(s)" in out
    assert f"aezoo evaluate {run}" in out and "--epochs N (N > 1)" in out
    assert "No training step recorded" not in out
    assert "Epoch" not in out  # nothing trained


def test_evaluate_prints_the_quality_bar_and_checks_it(tiny_run, capsys):
    run, _ = tiny_run
    assert cli.main(["evaluate", str(run), "--max-batches", "2"]) == 0
    out = capsys.readouterr().out
    assert "2/2" in out  # the progress bar over the batches
    assert "[FAIL] quality bar of lstm_sequence_classifier: 100% accuracy" in out  # 2 steps
    assert cli.main(["evaluate", str(run), "--max-batches", "2", "--check"]) == 1


@pytest.mark.parametrize("name", ["lstm_sequence_classifier", "mlp_autoencoder"])
def test_sample_saves_inputs_that_predict_accepts(name, tmp_path, capsys):
    import numpy as np

    import aezoo
    from aezoo.artifact.inference import validate_inputs

    path = tmp_path / "x.npy"
    assert cli.main(["sample", name, "--split", "test", "-n", "3", "--out", str(path)]) == 0
    assert f"aezoo predict {name} --input {path}" in capsys.readouterr().out
    x = np.load(path)
    model = aezoo.build(name)
    validate_inputs(x, model.inputs[0].shape[1:], value_range=aezoo.registry.get_model_info(name).value_range)
    assert len(x) == 3


def _aezoo(*args, env=None):
    import os

    environment = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "AEZOO_VERBOSE")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "aezoo.cli", *args], capture_output=True, text=True,
        timeout=120, env=environment,
    )


@pytest.mark.slow
def test_commands_print_no_tensorflow_or_absl_noise(tmp_path):
    result = _aezoo("sample", "lstm_sequence_classifier", "-n", "2", "--out", str(tmp_path / "x.npy"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stderr == ""
    missing = _aezoo("sample", "conv_autoencoder", "--out", str(tmp_path / "y.npy"),
                     env={"AEZOO_MNIST_DIR": str(tmp_path / "none"), "TFDS_DATA_DIR": str(tmp_path)})
    assert missing.returncode == 2
    assert missing.stderr.count("\n") == 1 and missing.stderr.startswith("aezoo: error: The MNIST directory")
