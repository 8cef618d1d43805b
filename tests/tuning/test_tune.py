"""`aezoo.tuning.tune` / `aezoo tune`: search, resume, export, table, errors."""

import csv
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import aezoo
from aezoo import cli
from aezoo import data
from aezoo import tuning
from aezoo.tuning import trial_process

TINY = dict(epochs=1, steps_per_epoch=5, validation_steps=2, verbose=0)
TINY_ARGS = ["--epochs", "1", "--steps-per-epoch", "5", "--validation-steps", "2", "--verbose", "0"]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
TIMEOUT_S = 240
# RSS after each trial, each in its own process: 3 tiny trials measured
# within a few MB of each other; in one process they grow by ~20 MB (the
# test reads 4 trials), and a leak of a model per trial would exceed this.
RSS_SPREAD_MB = 15


def _trial_processes(directory):
    """Live trial processes of the search in `directory`."""
    found = []
    for cmdline in pathlib.Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "aezoo.tuning.trial_process" in text and str(directory) in text:
            found.append(cmdline.parent.name)
    return found


def _read_rows(directory):
    with open(directory / "trials.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def _count_trial_processes(monkeypatch):
    """The trial processes `tune` starts from now on (one list item each)."""
    started, popen = [], trial_process.subprocess.Popen

    def counting_popen(command, *args, **kwargs):
        if "aezoo.tuning.trial_process" in command:
            started.append(command)
        return popen(command, *args, **kwargs)

    monkeypatch.setattr(trial_process.subprocess, "Popen", counting_popen)
    return started


@pytest.mark.slow
def test_a_search_completes_exports_its_best_model_and_resumes(tmp_path, monkeypatch):
    directory = tmp_path / "search"
    started = _count_trial_processes(monkeypatch)
    # Four trials in all (one, one more resumed, two again from scratch):
    # every property below needs no more.
    first = tuning.tune("mlp_autoencoder", max_trials=1, directory=directory, **TINY)
    assert len(started) == 1  # one process per trial, none to learn that none is left
    assert first.resumed_trials == 0
    assert [row["status"] for row in first.table] == ["COMPLETED"]
    assert first.best_score == first.table[0]["val_loss"]
    assert (directory / "trials.md").read_text().startswith("| trial | rank | status | val_loss |")
    assert len(_read_rows(directory)) == 1

    # Rerun with more trials: the finished one is kept, not run again.
    second = tuning.tune("mlp_autoencoder", max_trials=2, directory=directory, **TINY)
    assert len(started) == 2
    assert second.resumed_trials == 1
    assert [row["trial"] for row in second.table] == ["0", "1"]
    assert sorted(row["rank"] for row in second.table) == [1, 2]
    assert second.best_score == min(row["val_loss"] for row in second.table)
    unranked = [[{k: v for k, v in row.items() if k != "rank"} for row in result.table[:1]]
                for result in (first, second)]
    assert unranked[0] == unranked[1]

    # The best of the two trials is exported.
    card = json.loads((directory / "best" / "card.json").read_text())
    assert card["tuning"]["best_trial"] == second.best_trial
    assert card["tuning"]["best_hyperparameters"] == second.best_hyperparameters
    model = aezoo.load(directory / "best")  # verified: sha256 of every file
    # Recompiled with its own optimizer: the tuned learning rate, no state.
    assert float(model.optimizer.learning_rate) == pytest.approx(
        second.best_hyperparameters["learning_rate"]
    )
    assert int(model.optimizer.iterations) == 0
    # The exported weights are the best trial's: same validation loss.
    validation = data.for_model("mlp_autoencoder", "validation", batch_size=32).take(2)
    assert model.evaluate(validation, verbose=0) == pytest.approx(second.best_score, rel=1e-5)

    with pytest.raises(ValueError, match=r"holds a search with other settings \(epochs differ"):
        tuning.tune("mlp_autoencoder", max_trials=2, directory=directory, **{**TINY, "epochs": 2})
    # --overwrite restarts; every trial is seeded by its id, so the search
    # run in one go finds what the interrupted one found.
    restarted = tuning.tune(
        "mlp_autoencoder", max_trials=2, directory=directory, overwrite=True, **TINY
    )
    assert restarted.resumed_trials == 0
    assert len(started) == 4
    assert [row["val_loss"] for row in restarted.table] == [row["val_loss"] for row in second.table]
    # The four trials, each in its own process: no growth from one to the next.
    rss = [row["rss_mb"] for row in second.table + restarted.table]
    assert all(isinstance(value, float) for value in rss)
    assert max(rss) - min(rss) < RSS_SPREAD_MB, rss


@pytest.mark.slow
@pytest.mark.parametrize("tuner", ["bayesian", "hyperband"])
def test_bayesian_and_hyperband_searches_run(tmp_path, tuner):
    if tuner == "bayesian":
        pytest.importorskip("sklearn", reason="the bayesian tuner needs keras-tuner[bayesian]")
    result = tuning.tune(
        "mlp_autoencoder", tuner=tuner, max_trials=2, directory=tmp_path, **{**TINY, "epochs": 2},
        trial_processes=tuner == "bayesian",  # hyperband covers the in-process mode
    )
    assert [row["status"] for row in result.table] == ["COMPLETED"] * 2
    if tuner == "hyperband":
        assert all(row["epochs"] == 2 for row in result.table)
    assert (tmp_path / "best" / "model.keras").exists()


def test_bad_arguments_are_refused_clearly(tmp_path, monkeypatch, capsys):
    with pytest.raises(ValueError, match="Unknown tuner 'grid'. Valid tuners: random, bayesian, hyperband."):
        tuning.tune("mlp_autoencoder", tuner="grid", directory=tmp_path)
    with pytest.raises(ValueError, match=r"`max_trials` must be an integer >= 1. Received: max_trials=0"):
        tuning.tune("mlp_autoencoder", max_trials=0, directory=tmp_path)
    with pytest.raises(ValueError, match="Unknown model name: 'mlp'"):
        tuning.tune("mlp", directory=tmp_path)
    monkeypatch.setenv("KERASTUNER_ORACLE_IP", "127.0.0.1")
    with pytest.raises(ValueError, match="KERASTUNER_ORACLE_PORT, KERASTUNER_TUNER_ID is not"):
        tuning.tune("mlp_autoencoder", directory=tmp_path)
    monkeypatch.setenv("KERASTUNER_ORACLE_PORT", "1")
    monkeypatch.setenv("KERASTUNER_TUNER_ID", "tuner0")
    with pytest.raises(ValueError, match="pass it to the chief only"):
        tuning.tune("mlp_autoencoder", directory=tmp_path, overwrite=True)
    assert list(tmp_path.iterdir()) == []

    assert cli.main(["tune", "mlp_autoencoder", "--tuner", "grid"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["tune", "mlp_autoencoder", "--max-trials", "0"])
    assert exit_info.value.code == 2
    assert "--max-trials: expected a positive integer, got '0'" in capsys.readouterr().err


@pytest.mark.slow
def test_a_killed_search_resumes_without_repeating_finished_trials(tmp_path, capsys):
    directory = tmp_path / "search"
    command = ["tune", "mlp_autoencoder", "--max-trials", "2", "--dir", str(directory)] + TINY_ARGS
    process = subprocess.Popen(
        [sys.executable, "-m", "aezoo.cli", *command], env=ENV,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    first_record = directory / "search" / "trial_0" / "aezoo_trial.json"
    deadline = time.time() + TIMEOUT_S
    while not first_record.exists() and time.time() < deadline and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    _, stderr = process.communicate()
    assert first_record.exists(), stderr[-3000:].decode()
    deadline = time.time() + 10
    while _trial_processes(directory) and time.time() < deadline:
        time.sleep(0.1)
    assert not _trial_processes(directory), "the trial process outlived the killed search"
    record = first_record.read_text()
    assert not (directory / "best").exists(), "the search was not killed before it finished"

    assert cli.main(command) == 0  # the same command resumes
    out = capsys.readouterr().out
    assert "resumed the search" in out and "| trial | rank | status |" in out
    rows = _read_rows(directory)
    assert [row["trial"] for row in rows] == ["0", "1"]
    assert {row["status"] for row in rows} == {"COMPLETED"}
    assert first_record.read_text() == record  # trial 0 was not run again


@pytest.mark.slow
def test_distributed_search_with_a_chief_and_two_workers(tmp_path):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable, "-m", "aezoo.cli", "tune", "mlp_autoencoder", "--max-trials", "2",
        "--dir", str(tmp_path), *TINY_ARGS,
    ]
    processes = {}
    for tuner_id in ("chief", "tuner0", "tuner1"):
        env = {**ENV, "KERASTUNER_TUNER_ID": tuner_id, "KERASTUNER_ORACLE_IP": "127.0.0.1",
               "KERASTUNER_ORACLE_PORT": str(port)}
        processes[tuner_id] = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    try:
        # KerasTuner's chief checks every 20 s whether the workers are done.
        outputs = {key: p.communicate(timeout=TIMEOUT_S) for key, p in processes.items()}
    finally:
        for process in processes.values():  # a hang fails the test instead of blocking it
            process.kill()
    for key, process in processes.items():
        assert process.returncode == 0, (key, outputs[key][1][-3000:])
    assert "| trial | rank | status |" in outputs["chief"][0]
    assert "worker finished" in outputs["tuner0"][0]
    rows = _read_rows(tmp_path)
    assert [row["status"] for row in rows] == ["COMPLETED"] * 2
    assert {row["tuner_id"] for row in rows} == {"tuner0", "tuner1"}  # both workers ran trials
    assert (tmp_path / "best" / "card.json").exists()
    assert np.isfinite([float(row["val_loss"]) for row in rows]).all()


@pytest.mark.slow
def test_missing_data_in_a_trial_process_is_one_line(tmp_path, monkeypatch, capsys):
    # The error is raised in the trial process; it reaches the user as `train` gives it.
    monkeypatch.setenv("AEZOO_MNIST_DIR", str(tmp_path / "no-mnist"))
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "no-tfds"))
    command = ["tune", "conv_autoencoder", "--max-trials", "1", "--epochs", "1",
               "--dir", str(tmp_path / "search")]
    assert cli.main(command) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("aezoo: error: The MNIST directory") and "Traceback" not in err


@pytest.mark.slow
def test_progress_numbers_trials_as_the_table_and_counts_time_over_all_calls(tmp_path, capsys):
    directory = tmp_path / "search"
    tiny = {**TINY, "steps_per_epoch": 2, "validation_steps": 1, "verbose": 1}
    first = tuning.tune("mlp_autoencoder", max_trials=1, directory=directory,
                        trial_processes=False, **tiny)
    out = capsys.readouterr().out
    assert "Search: running trial 0\n" in out and "Trial 0 completed in" in out
    assert "Trial #" not in out and "Trial 1 " not in out  # KerasTuner's own numbering
    elapsed = json.loads((directory / "elapsed.json").read_text())["seconds"]
    assert elapsed == pytest.approx(first.elapsed_seconds, abs=0.2)
    # As if the first call had run for an hour: the second reports the total.
    (directory / "elapsed.json").write_text(json.dumps({"seconds": 3600 + elapsed}))
    second = tuning.tune("mlp_autoencoder", max_trials=2, directory=directory,
                         trial_processes=False, **tiny)
    out = capsys.readouterr().out
    assert "Search: running trial 1\n" in out and "Search: running trial 0" not in out
    assert "Search time over all calls: 01h 00m" in out
    assert second.elapsed_seconds > 3600 + first.elapsed_seconds
    assert [row["trial"] for row in second.table] == ["0", "1"]
