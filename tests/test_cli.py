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


def test_console_script_is_installed():
    result = subprocess.run(
        [sys.executable, "-m", "aezoo.cli", "list", "lstm*"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["lstm_sequence_classifier"]
    assert "Traceback" not in result.stderr
