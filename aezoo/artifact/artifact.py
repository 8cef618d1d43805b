"""`export`: one folder holding a model as `.keras` and as a TF SavedModel,
with a `card.json` that records where it came from and a sha256 of every file.

```
OUT/model.keras      the Keras model (`keras.saving.load_model`, safe mode)
OUT/saved_model/     TF SavedModel: endpoint `serve` = `serving_default`
OUT/pictures/        optional pictures (reconstructions, frames, filters)
OUT/card.json        model card, with `files`: path -> {sha256, bytes}
OUT/card.json.sha256 the card's own sha256 (`sha256sum -c card.json.sha256`)
```

The card lists every other file with its sha256, and `card.json.sha256`
covers the card, so a changed metric or parameter count is refused by
`aezoo.load` like a changed weight.

The export is atomic. Everything is written into a hidden sibling folder
`.OUT.partial-PID` first; only when it is complete is an existing `OUT`
moved aside to `.OUT.previous`, the new folder renamed to `OUT`, and the
previous one deleted. A failure or a kill at any point before the renames
leaves `OUT` as it was (the partial folder is removed by the next export),
and a kill between the two renames leaves the old artifact in
`.OUT.previous`, which the next `export` or `load` moves back.

One writer per target: an export holds the lock `.OUT.lock` (beside `OUT`)
from its first look at the target to the last rename, so a second export to
the same `OUT` is refused at once, naming the process that holds it. Only
the lock's holder removes partial folders, and it holds the lock only when
no other export of `OUT` runs: a partial folder is removed only when its
owner is dead.
"""

import datetime
import hashlib
import json
import os
import pathlib
import platform
import shutil

from aezoo import registry
from aezoo import single_writer
from aezoo.artifact.errors import ArtifactError
from aezoo.artifact.precision import float32_copy

CARD = "card.json"
CARD_HASH = "card.json.sha256"
KERAS_FILE = "model.keras"
SAVED_MODEL_DIR = "saved_model"
PICTURES_DIR = "pictures"


def export(model, out_dir, *, name=None, preset="default", card=None, pictures=None,
           overwrite=False):
    """Exports a model as `.keras` + TF SavedModel + `card.json`, atomically.

    Args:
        model: a built Keras model of a registered aezoo model. One built
            under a mixed dtype policy is exported as its float32 copy
            (`aezoo.artifact.precision.float32_copy`).
        out_dir: the artifact folder to create.
        name: the registry name. Defaults to `model.name`.
        preset: the preset the model was built with (recorded in the card).
        card: a dict of further card fields (recipe, data, training,
            metrics, ...). `model`, `preset`, `parameters`,
            `flops_per_example`, `signature`, `machine`,
            `library_versions`, `created` and `files` are filled in here.
        pictures: optional folder of pictures to copy into `pictures/`.
        overwrite: replace an existing artifact at `out_dir`. Without it an
            existing artifact is never touched.

    Returns:
        The card (a dict), as written to `out_dir/card.json`.

    Raises:
        ArtifactError: `out_dir` exists and `overwrite` is false, or the
            model is not a registered aezoo model.
        aezoo.single_writer.WriterBusyError: another process is exporting
            to `out_dir` (a `ValueError`).

    Example:

    ```python
    model = aezoo.build("mlp_autoencoder")
    model.fit(...)
    aezoo.export(model, "my_artifact")
    model = aezoo.load("my_artifact")
    ```
    """
    name = name or model.name
    if name not in registry.list_models():
        raise ArtifactError(
            f"Cannot export model {name!r}: it is not a registered aezoo model "
            f"({', '.join(registry.list_models())}). Pass name=... if the "
            f"Keras model has another name."
        )
    out_dir = pathlib.Path(out_dir)
    # An artifact computes in float32, whatever policy it was trained under.
    model = float32_copy(model)
    with hold_target(out_dir):
        return _export_to(model, out_dir, name, preset, card, pictures, overwrite)


def hold_target(out_dir):
    """The lock of the artifact folder `out_dir` (a context manager)."""
    out_dir = pathlib.Path(out_dir)
    return single_writer.hold(
        out_dir.parent / f".{out_dir.name}.lock", out_dir,
        hint="wait for that export to finish, or choose another --out",
    )


def check_target(out_dir, overwrite):
    """Refuses an existing artifact folder unless `overwrite` (after
    recovering an interrupted export there): called before anything is
    measured or written.

    Raises:
        ArtifactError: `out_dir` exists and `overwrite` is false.
    """
    out_dir = pathlib.Path(out_dir)
    recover_interrupted(out_dir)
    if out_dir.exists() and not overwrite:
        raise ArtifactError(
            f"{out_dir} already exists; it is left untouched. Pass "
            f"overwrite=True (`--overwrite`) to replace it, or choose another "
            f"output folder."
        )


def _export_to(model, out_dir, name, preset, card, pictures, overwrite):
    """`export`'s work, holding the lock of `out_dir`."""
    check_target(out_dir, overwrite)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    # Partial folders of exports killed before us (no export of out_dir runs).
    for stale in out_dir.parent.glob(f".{out_dir.name}.partial-*"):
        shutil.rmtree(stale, ignore_errors=True)
    partial = out_dir.parent / f".{out_dir.name}.partial-{os.getpid()}"
    try:
        partial.mkdir()
        model.save(partial / KERAS_FILE)
        signature = write_saved_model(model, partial / SAVED_MODEL_DIR)
        if pictures is not None and pathlib.Path(pictures).is_dir():
            shutil.copytree(pictures, partial / PICTURES_DIR)
        full_card = {
            "model": name,
            "preset": preset,
            **(card or {}),
            "parameters": int(model.count_params()),
            "flops_per_example": _flops(model),
            "signature": signature,
            "machine": machine(),
            "library_versions": library_versions(),
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "files": file_digests(partial),
        }
        (partial / CARD).write_text(json.dumps(full_card, indent=2, default=_jsonable) + "\n")
        write_card_hash(partial)
        _sync(partial)
        _swap_into_place(partial, out_dir)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return full_card


def write_saved_model(model, path):
    """Writes `model` as a TF SavedModel with one named-input, named-output
    endpoint `serve` (also `serving_default`): float32, the model's input
    shape with a free batch dimension, and a dict of named outputs.

    Returns:
        The signature as `{"inputs": {name: shape}, "outputs": {name: shape}}`
        (shapes with `null` for the batch dimension).
    """
    import keras
    import tensorflow as tf

    if len(model.inputs) != 1:
        raise ArtifactError(f"aezoo exports single-input models; {model.name} has {len(model.inputs)}.")
    input_tensor = model.inputs[0]
    input_name = input_tensor.name
    output_names = list(model.output_names)
    spec = tf.TensorSpec((None,) + tuple(input_tensor.shape[1:]), tf.float32, name=input_name)

    def serve(x):
        outputs = model(x, training=False)
        if not isinstance(outputs, dict):
            outputs = {output_names[0]: outputs}
        return outputs

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(name="serve", fn=serve, input_signature=[spec])
    archive.write_out(str(path), verbose=False)
    outputs = model.output if isinstance(model.output, dict) else {output_names[0]: model.output}
    return {
        "endpoint": "serve",
        "inputs": {input_name: [None] + list(input_tensor.shape[1:])},
        "outputs": {key: [None] + list(value.shape[1:]) for key, value in outputs.items()},
        "dtype": "float32",
    }


def file_digests(folder):
    """`{relative path: {"sha256", "bytes"}}` of every file under `folder`
    except the card and its hash, in sorted order."""
    folder = pathlib.Path(folder)
    digests = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if relative in (CARD, CARD_HASH):
            continue
        digests[relative] = {"sha256": sha256(path), "bytes": path.stat().st_size}
    return digests


def write_card_hash(folder):
    """Writes `folder/card.json.sha256`, in `sha256sum` format."""
    folder = pathlib.Path(folder)
    (folder / CARD_HASH).write_text(f"{sha256(folder / CARD)}  {CARD}\n")


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def recover_interrupted(out_dir):
    """Moves `.OUT.previous` back to `OUT` when a kill fell between the two
    renames of an export (so `OUT` is missing). Returns whether it did."""
    out_dir = pathlib.Path(out_dir)
    previous = out_dir.parent / f".{out_dir.name}.previous"
    if not (previous.is_dir() and not out_dir.exists()):
        return False
    with hold_target(out_dir):  # not in the middle of a running export's renames
        if previous.is_dir() and not out_dir.exists():
            os.replace(previous, out_dir)
            return True
    return False


def machine():
    import multiprocessing

    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return {
        "platform": platform.platform(),
        "processor": _cpu_name(),
        "cpu_count": multiprocessing.cpu_count(),
        "accelerators": [gpu.name for gpu in gpus],
    }


def library_versions():
    import importlib.metadata

    versions = {"python": platform.python_version()}
    for package in ("aezoo", "tensorflow", "keras", "tensorflow-datasets", "keras-tuner", "numpy"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def _cpu_name():
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _flops(model):
    from aezoo.models.flops import count_flops

    try:
        return int(count_flops(model))
    except ValueError:
        return None


def _swap_into_place(partial, out_dir):
    previous = out_dir.parent / f".{out_dir.name}.previous"
    if previous.exists():
        shutil.rmtree(previous)
    if out_dir.exists():
        os.replace(out_dir, previous)
    os.replace(partial, out_dir)
    shutil.rmtree(previous, ignore_errors=True)


def _sync(folder):
    """Flushes the written files to disk before the rename publishes them."""
    for path in pathlib.Path(folder).rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())


def _jsonable(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (set, tuple)):
        return list(value)
    if isinstance(value, pathlib.Path):
        return str(value)
    raise TypeError(f"card value of type {type(value).__name__} is not JSON-serializable: {value!r}")
