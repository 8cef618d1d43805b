"""The fault and bad-input campaign of issue 15, kept measured.

A table of bad inputs, each given to the command line (in process, through
`aezoo.cli.main`) or to the Python API, and a few injected faults (disk full
during training and export, a kill during an export, a concurrent writer).
Every bad input must end in a clean error: on the command line exit status 2
and one `aezoo: error:` line naming the problem, in Python a `ValueError`
(aezoo's own errors are `ValueError`s) whose message names it. Every fault
must leave the saved state as it was, and the same command must then succeed.

The counts are printed (`pytest -s`) and recorded as junit properties:
inputs tried, clean errors, tracebacks, silent accepts, unclear messages;
faults injected, survived, data lost.
"""

import contextlib
import errno
import io
import json
import pathlib
import shutil
import zipfile

import numpy as np
import pytest

import aezoo
from aezoo import cli
from aezoo import training
from aezoo.artifact.artifact import file_digests
from aezoo.artifact.artifact import sha256
from aezoo.artifact.artifact import write_card_hash
from tests.lock_holder import held_elsewhere

MODEL = "mlp_autoencoder"
TINY = ["--set", "fit.steps_per_epoch=2", "--set", "fit.validation_steps=1"]


class _Killed(BaseException):
    """Stands for a SIGKILL: nothing after it runs in the 'killed' call."""


def _disk_full(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """Files the bad inputs refer to: an artifact, inputs, recipes, a run."""
    import keras

    work = tmp_path_factory.mktemp("campaign")
    keras.utils.set_random_seed(0)
    model = aezoo.build(MODEL)
    aezoo.export(model, work / "artifact", card={"metrics": {"mse": 1.0}})
    model.save(work / "model.keras")
    _name_an_unknown_class(work / "model.keras", work / "unknown_class.keras")
    np.save(work / "x.npy", np.zeros((4, 1), "float32"))
    np.save(work / "x_nan.npy", np.full((4, 1), np.nan, "float32"))
    np.save(work / "x_shape.npy", np.zeros((4, 3), "float32"))
    (work / "x.txt").write_text("not an array")
    (work / "folder").mkdir()
    (work / "latin1.toml").write_bytes('model = "mlp_autoencoder"\ndescription = "caf\xe9"\n'.encode("latin-1"))
    for name, text in {
        "fit_int.toml": 'model = "mlp_autoencoder"\nfit = 3\n',
        "data_str.toml": 'model = "mlp_autoencoder"\ndata = "x"\n',
        "overrides_list.toml": 'model = "mlp_autoencoder"\nmodel_overrides = [1, 2]\n',
        "checks_str.toml": 'model = "mlp_autoencoder"\n[diagnostics]\nchecks = "gradient_statistics"\n',
        "broken.toml": 'model = "mlp_autoencoder"\nfit = {epochs = \n',
        "no_model.toml": "seed = 1\n",
    }.items():
        (work / name).write_text(text)
    run = work / "run"
    assert cli.main(["train", MODEL, "--out", str(run), "--epochs", "1", *TINY]) == 0
    return work


def _name_an_unknown_class(source, target):
    """A copy of the .keras file `source` whose first Dense layer is a class
    nobody registered (as a model of an uninstalled plugin would be)."""
    with zipfile.ZipFile(source) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(entries["config.json"])
    layer = next(layer for layer in config["config"]["layers"] if layer["class_name"] == "Dense")
    layer.update(class_name="NoSuchLayer", module=None, registered_name="plugin>NoSuchLayer")
    entries["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)


def _reseal(folder, edit_card):
    """Edits an artifact's card and re-hashes it, as an exporter would: the
    hashes vouch for the files, so only the card's content is wrong."""
    card = json.loads((folder / "card.json").read_text())
    card["files"] = file_digests(folder)
    edit_card(card)
    (folder / "card.json").write_text(json.dumps(card))
    write_card_hash(folder)


def _artifact_copy(work, name, edit_card=None, keras_file=None):
    folder = work / name
    if not folder.exists():
        shutil.copytree(work / "artifact", folder)
        if keras_file is not None:
            shutil.copy(keras_file, folder / "model.keras")
        _reseal(folder, edit_card or (lambda card: None))
    return folder


def _cli_cases(work):
    """(argv, text the one error line must hold, files that must not appear)."""
    w = str(work)
    train = ["train", MODEL, "--out", f"{w}/refused"]
    predict = ["predict", f"{w}/artifact", "--input", f"{w}/x.npy", "--out", f"{w}/y.npy"]
    cases = [
        (["describe", "nosuch"], "Unknown model name: 'nosuch'"),
        (["train", "nosuch"], "No recipe for model 'nosuch'"),
        ([*train, "--preset", "nope"], "with preset 'nope'"),
        ([*train, "--set", "model_overrides.units=0"], "`units` must be an integer >= 1"),
        (["train", "conv_autoencoder", "--out", f"{w}/refused", "--set", "model_overrides.code_size=1099511627776"],
         "`code_size` must be an integer >= 1 and <= 65536. Received: code_size=1099511627776"),
        (["train", "conv_autoencoder", "--out", f"{w}/refused", "--set", "model_overrides.filters=[16, 1099511627776]"],
         "`filters` must be 2 integers >= 1 and <= 65536"),
        ([*train, "--set", "model_overrides.hidden_layers=1000000000000"], "`hidden_layers` must be an integer >= 1 and <= 1024"),
        (["train", "lstm_sequence_classifier", "--out", f"{w}/refused", "--set", "model_overrides.units=1099511627776"],
         "`units` must be an integer >= 1 and <= 65536"),
        ([*train, "--set", "model_overrides.learning_rate=inf"], "`model_overrides.learning_rate` must be a finite number"),
        ([*train, "--set", "model_overrides.nosuch=1"], "Unknown override(s) for model 'mlp_autoencoder': nosuch"),
        ([*train, "--set", "data.batch_size=1e20"], "`data.batch_size` must be an integer >= 1"),
        ([*train, "--set", "data.batch_size=100000000000000000000"], "`data.batch_size` must be an integer >= 1 and <= 65536"),
        ([*train, "--set", "fit.epochs=0"], "`fit.epochs` must be an integer >= 1"),
        ([*train, "--set", "fit.epochs=100000000000000000000000"], "`fit.epochs` must be an integer >= 1 and <= 1000000000"),
        ([*train, "--set", "fit.steps_per_epoch=-1"], "`fit.steps_per_epoch` must be an integer >= 0"),
        ([*train, "--set", "fit.schedule=linear"], "`fit.schedule` must be one of constant, cosine"),
        ([*train, "--set", "seed=-1"], "`seed` must be an integer >= 0"),
        ([*train, "--set", "fit=3"], "`fit` must be a table"),
        ([*train, "--set", "data.options=5"], "`data.options` must be a table"),
        ([*train, "--set", "model_overrides=5"], "`model_overrides` must be a table"),
        ([*train, "--set", 'diagnostics.checks="gradient_statistics"'], "`diagnostics.checks` must be a list"),
        ([*train, "--set", "diagnostics.checks=[\"nosuch\"]"], "nosuch"),
        ([*train, "--set", "fit.epochs"], "--set expects key=value"),
        ([*train, "--set", "nosection.key=1"], "Unknown recipe section 'nosection'"),
        ([*train, "--set", "fit.epoch=3"], "Unknown recipe key 'fit.epoch'"),
        ([*train, "--epochs", "0"], "expected a positive integer, got '0'"),
        ([*train, "--strategy", "bogus"], "Unknown strategy 'bogus'"),
        (["train", f"{w}/missing.toml"], "Recipe file not found"),
        (["train", f"{w}/latin1.toml"], "latin1.toml is not UTF-8 text"),
        (["train", f"{w}/fit_int.toml"], "`fit` must be a table"),
        (["train", f"{w}/data_str.toml"], "`data` must be a table"),
        (["train", f"{w}/overrides_list.toml"], "`model_overrides` must be a table"),
        (["train", f"{w}/checks_str.toml"], "`diagnostics.checks` must be a list"),
        (["train", f"{w}/broken.toml"], "broken.toml is not valid TOML"),
        (["train", f"{w}/no_model.toml"], "must name its `model`"),
        (["predict", "nosuch", "--input", f"{w}/x.npy", "--out", f"{w}/y.npy"], "Unknown model name: 'nosuch'"),
        (["predict", f"{w}/folder", "--input", f"{w}/x.npy", "--out", f"{w}/y.npy"], "has no card.json"),
        (["predict", f"{w}/artifact", "--input", f"{w}/x.npy", "--out", f"{w}/folder"], "--out " + f"{w}/folder is a folder"),
        ([*predict, "--picture", f"{w}/folder"], "--picture " + f"{w}/folder is a folder"),
        ([*predict[:2], "--input", f"{w}/missing.npy", *predict[4:]], "cannot read"),
        ([*predict[:2], "--input", f"{w}/x.txt", *predict[4:]], "cannot read"),
        ([*predict[:2], "--input", f"{w}/x_nan.npy", *predict[4:]], "x_nan.npy: signal holds 4 NaN"),
        ([*predict[:2], "--input", f"{w}/x_shape.npy", *predict[4:]], "x_shape.npy"),
        ([*predict, "--output", "nosuch"], "--output must be one of"),
        (["predict", str(_artifact_copy(work, "unknown_class_artifact", keras_file=work / "unknown_class.keras")),
          "--input", f"{w}/x.npy", "--out", f"{w}/y.npy"], "the Keras class 'NoSuchLayer' (registered as 'plugin>NoSuchLayer')"),
        (["export", f"{w}/unknown_class.keras", "--out", f"{w}/refused_artifact"],
         "the Keras class 'NoSuchLayer' (registered as 'plugin>NoSuchLayer'), which no imported package provides"),
        (["export", f"{w}/missing", "--out", f"{w}/refused_artifact"], "neither a run folder nor a .keras checkpoint"),
        (["export", f"{w}/run", "--out", f"{w}/artifact"], "already exists"),
        (["evaluate", "nosuch"], "Unknown model name: 'nosuch'"),
        (["evaluate", f"{w}/folder"], "has no card.json"),
        (["evaluate", MODEL, "--max-batches", "0"], "expected a positive integer"),
        (["sample", "nosuch", "--out", f"{w}/s.npy"], "Unknown model name: 'nosuch'"),
        (["sample", MODEL, "-n", "0", "--out", f"{w}/s.npy"], "expected a positive integer"),
        (["tune", "nosuch", "--dir", f"{w}/tune"], "nosuch"),
        (["tune", MODEL, "--tuner", "nosuch", "--dir", f"{w}/tune"], "nosuch"),
        (["tran"], "invalid choice: 'tran'"),
    ]
    # Nothing refused may leave a file behind (a recipe.json would make the
    # corrected command "a run of a different recipe").
    return [(argv, text, [f"{w}/refused/recipe.json", f"{w}/refused_artifact", f"{w}/y.npy", f"{w}/tune"])
            for argv, text in cases]


def _api_cases(work):
    """(label, call, text the ValueError's message must hold)."""
    import keras

    from aezoo import data

    model = keras.saving.load_model(work / "model.keras")
    files_a_string = _artifact_copy(work, "files_a_string", lambda card: card.update(files="model.keras"))
    entry_a_string = _artifact_copy(work, "entry_a_string", lambda card: card["files"].update({"model.keras": "abc"}))
    outside = _artifact_copy(
        work, "outside", lambda card: card["files"].update({"../../etc/hostname": {"sha256": "0", "bytes": 1}})
    )
    unknown_class = _artifact_copy(work, "unknown_class_artifact", keras_file=work / "unknown_class.keras")
    return [
        ("list_models(123)", lambda: aezoo.list_models(123), "`pattern` must be a wildcard string"),
        ("list_models(['conv*'])", lambda: aezoo.list_models(["conv*"]), "Received: pattern=['conv*']"),
        ("build unknown name", lambda: aezoo.build("nosuch"), "Unknown model name"),
        ("build unknown preset", lambda: aezoo.build(MODEL, "nope"), "Unknown preset 'nope'"),
        ("build unknown override", lambda: aezoo.build(MODEL, nosuch=1), "Unknown override(s)"),
        ("build code_size=2**40", lambda: aezoo.build("conv_autoencoder", code_size=2**40), "<= 65536"),
        ("build units=2**40", lambda: aezoo.build(MODEL, units=2**40), "`units` must be an integer >= 1 and <= 65536"),
        ("build learning_rate=inf", lambda: aezoo.build(MODEL, learning_rate=float("inf")), "must be finite"),
        ("list_presets(None)", lambda: aezoo.list_presets(None), "Unknown model name: None"),
        ("load: card files a string", lambda: aezoo.load(files_a_string), "has no 'files' table"),
        ("load: files entry a string", lambda: aezoo.load(entry_a_string), "lists 'model.keras' with 'abc'"),
        ("load: path out of the folder", lambda: aezoo.load(outside), "not a relative path inside the artifact"),
        ("load: unknown class", lambda: aezoo.load(unknown_class), "the Keras class 'NoSuchLayer'"),
        ("load: unknown format", lambda: aezoo.load(work / "artifact", format="onnx"), "format must be one of"),
        ("load: no folder", lambda: aezoo.load(work / "missing"), "No artifact folder at"),
        ("predict: NaN", lambda: aezoo.predict(model, np.full((2, 1), np.nan, "float32")), "NaN"),
        ("predict: wrong rank", lambda: aezoo.predict(model, np.zeros((2,), "float32")), "rank"),
        ("train: code_size=2**40", lambda: training.train("conv_autoencoder", out=work / "refused_api",
                                                          overrides=["model_overrides.code_size=1099511627776"]),
         "`code_size` must be an integer >= 1 and <= 65536"),
        ("resolve_recipe: batch 1e20", lambda: training.resolve_recipe(MODEL, overrides=["data.batch_size=100000000000000000000"]),
         "`data.batch_size` must be an integer >= 1 and <= 65536"),
        ("data.sample unknown", lambda: data.sample("nosuch", "test", 2), "Unknown model name"),
    ]


def _run_cli(argv):
    """(exit status, stderr, the exception that escaped or None)."""
    out, err = io.StringIO(), io.StringIO()
    escaped = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = cli.main(argv)
        except SystemExit as exit_:
            status = exit_.code
        except Exception as error:  # noqa: BLE001  (a traceback: counted, not raised)
            status, escaped = None, error
    return status, err.getvalue(), escaped


def _record(record_property, prefix, counts):
    print(f"\n{prefix}: " + ", ".join(f"{key} {value}" for key, value in counts.items()))
    for key, value in counts.items():
        record_property(f"{prefix}.{key}", value)


def test_every_bad_input_is_a_clean_one_line_error(workspace, record_property):
    counts = dict(tried=0, clean_errors=0, tracebacks=0, silent_accepts=0, unclear=0)
    problems = []
    for argv, text, must_not_exist in _cli_cases(workspace):
        counts["tried"] += 1
        status, err, escaped = _run_cli(argv)
        error_lines = [line for line in err.splitlines() if line.startswith("aezoo: error:")]
        left = [path for path in must_not_exist if pathlib.Path(path).exists()]
        for path in map(pathlib.Path, left):  # so that the next case is judged alone
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        if escaped is not None or "Traceback" in err:
            counts["tracebacks"] += 1
            problems.append(f"traceback: {argv}: {escaped!r}")
        elif status == 0 or left:
            counts["silent_accepts"] += 1
            problems.append(f"accepted: {argv} (exit {status}, left {left})")
        elif status != 2 or len(error_lines) != 1 or text not in error_lines[0]:
            counts["unclear"] += 1
            problems.append(f"unclear: {argv}: exit {status}, {err!r} lacks {text!r}")
        else:
            counts["clean_errors"] += 1
    for label, call, text in _api_cases(workspace):
        counts["tried"] += 1
        try:
            call()
        except ValueError as error:
            if text in str(error) and "\n" not in str(error).strip():
                counts["clean_errors"] += 1
            else:
                counts["unclear"] += 1
                problems.append(f"unclear: {label}: {error!r} lacks {text!r}")
        except Exception as error:  # noqa: BLE001
            counts["tracebacks"] += 1
            problems.append(f"traceback: {label}: {error!r}")
        else:
            counts["silent_accepts"] += 1
            problems.append(f"accepted: {label}")
    _record(record_property, "bad inputs", counts)
    assert not problems, "\n".join(problems)
    assert counts["clean_errors"] == counts["tried"]


def _snapshot(folder):
    """sha256 of every file under `folder` (its saved state)."""
    folder = pathlib.Path(folder)
    return {p.relative_to(folder).as_posix(): sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def _fault_disk_full_in_training(work, monkeypatch):
    """ENOSPC halfway through writing the first checkpoint of epoch 2."""
    from keras.src.saving import saving_lib

    run = work / "run"
    command = ["train", MODEL, "--out", str(run), "--epochs", "2", *TINY]
    kept = ("checkpoints/last.keras", "checkpoints/best.keras", "history.csv", "backup/training_metadata.json")
    before = {path: sha256(run / path) for path in kept}

    def half_then_full(model, fileobj, weights_format):
        fileobj.write(b"PK\x03\x04 half a checkpoint")
        _disk_full()

    with monkeypatch.context() as patch:
        patch.setattr(saving_lib, "_save_model_to_fileobj", half_then_full)
        status, err, escaped = _run_cli(command)
    one_line = status == 2 and escaped is None and err.count("aezoo: error:") == 1 and "disk full" in err
    lost = {path: sha256(run / path) for path in kept} != before
    lost = lost or not _loads(run / "checkpoints" / "last.keras")
    # Space again: the same command finishes the run.
    status_after, err_after, _ = _run_cli(command)
    rows = (run / "history.csv").read_text().splitlines()
    survived = one_line and status_after == 0 and len(rows) == 3 and _loads(run / "checkpoints" / "last.keras")
    return survived, lost, f"{err.strip()!r} then exit {status_after} {err_after[-300:]!r}, history {rows}"


def _loads(path):
    import keras

    try:
        keras.saving.load_model(path)
    except Exception:  # noqa: BLE001
        return False
    return True


def _fault_disk_full_in_export(work, monkeypatch):
    """ENOSPC halfway through the SavedModel of an `--overwrite` export."""
    from aezoo.artifact import artifact

    target = work / "artifact"
    before = _snapshot(target)

    def half_then_full(model, path):
        path.mkdir(parents=True)
        (path / "saved_model.pb").write_bytes(b"half")
        _disk_full()

    with monkeypatch.context() as patch:
        patch.setattr(artifact, "write_saved_model", half_then_full)
        status, err, escaped = _run_cli(
            ["export", str(work / "model.keras"), "--out", str(target), "--overwrite", "--max-batches", "1"]
        )
    lost = _snapshot(target) != before or not aezoo.artifact.verify(target)
    leftovers = [p.name for p in work.iterdir() if p.name.startswith(".artifact.")]
    survived = status == 2 and escaped is None and err.count("aezoo: error:") == 1 and "disk full" in err
    return survived and not leftovers, lost, f"{err.strip()!r}, left {leftovers}"


def _fault_killed_between_renames(work, monkeypatch):
    """A kill after the old artifact was moved aside, before the new one is
    in place; the next `load` must find the old one whole."""
    from aezoo.artifact import artifact

    target = _artifact_copy(work, "killed_export")
    before = _snapshot(target)

    def move_aside_then_die(partial, out_dir):
        out_dir.rename(out_dir.parent / f".{out_dir.name}.previous")
        raise _Killed

    def stub_saved_model(model, path):
        path.mkdir(parents=True)
        (path / "saved_model.pb").write_bytes(b"stub")
        return {}

    model = aezoo.load(target)
    with monkeypatch.context() as patch:
        patch.setattr(artifact, "write_saved_model", stub_saved_model)
        patch.setattr(artifact, "_swap_into_place", move_aside_then_die)
        with contextlib.suppress(_Killed):
            aezoo.export(model, target, card={"metrics": {"mse": 2.0}}, overwrite=True)
    try:
        aezoo.load(target)
        survived = True
    except ValueError:
        survived = False
    lost = _snapshot(target) != before if target.is_dir() else True
    return survived, lost, sorted(p.name for p in work.iterdir() if "killed_export" in p.name)


def _fault_concurrent_writers(work, monkeypatch):
    """A second `train` and a second `export` while another process holds
    the folder: refused in one line, nothing touched."""
    run, target = work / "run", work / "artifact"
    runs_before, artifact_before = _snapshot(run), _snapshot(target)
    results = []
    with held_elsewhere(run / "train.lock", run) as holder:
        results.append(_run_cli(["train", MODEL, "--out", str(run), "--epochs", "3", *TINY]) + (holder.pid,))
    with held_elsewhere(work / ".artifact.lock", target) as holder:
        results.append(_run_cli(["export", str(run), "--out", str(target), "--overwrite"]) + (holder.pid,))
    survived = all(
        status == 2 and escaped is None and err.count("aezoo: error:") == 1 and f"by process {pid}" in err
        for status, err, escaped, pid in results
    )
    runs_now = {k: v for k, v in _snapshot(run).items() if k != "train.lock"}
    lost = runs_now != {k: v for k, v in runs_before.items() if k != "train.lock"} or _snapshot(target) != artifact_before
    return survived, lost, [err.strip() for _, err, _, _ in results]


def _fault_out_of_memory(work, monkeypatch):
    """TensorFlow and Python allocation failures while building the model."""
    import tensorflow as tf

    from aezoo.family import ModelFamily

    run = work / "run"
    before = _snapshot(run)
    errors = [tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor with shape[1099511627776]\n..."),
              MemoryError()]
    outcomes = []
    for error in errors:
        def allocate(*args, error=error, **kwargs):
            raise error

        with monkeypatch.context() as patch:
            patch.setattr(ModelFamily, "build", allocate)  # what `train` builds with
            outcomes.append(_run_cli(["train", MODEL, "--out", str(work / "oom"), "--epochs", "1", *TINY]))
    survived = all(
        status == 2 and escaped is None and err.count("\n") == 1 and "out of memory" in err
        for status, err, escaped in outcomes
    )
    lost = _snapshot(run) != before or (work / "oom" / "recipe.json").exists()
    return survived, lost, [err.strip() for _, err, _ in outcomes]


FAULTS = (
    _fault_disk_full_in_training,
    _fault_disk_full_in_export,
    _fault_killed_between_renames,
    _fault_concurrent_writers,
    _fault_out_of_memory,
)


def test_injected_faults_lose_nothing(workspace, monkeypatch, record_property):
    counts = dict(injected=0, survived=0, data_lost=0)
    problems = []
    for fault in FAULTS:
        counts["injected"] += 1
        survived, lost, detail = fault(workspace, monkeypatch)
        counts["survived"] += bool(survived)
        counts["data_lost"] += bool(lost)
        if lost or not survived:
            problems.append(f"{fault.__name__}: survived={survived} lost={lost}: {detail}")
    _record(record_property, "faults", counts)
    assert not problems, "\n".join(problems)
