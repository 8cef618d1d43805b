"""The trials table (CSV and Markdown) and the per-trial memory record."""

import csv
import io
import json
import pathlib

MEMORY_FILE = "aezoo_trial.json"


def resident_mb():
    """This process's resident set size in MiB (Linux `/proc/self/statm`),
    or `None` where there is no `/proc`."""
    import os

    statm = pathlib.Path("/proc/self/statm")
    if not statm.exists():
        return None
    resident_pages = int(statm.read_text().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def write_trial_record(trial_dir, record):
    path = pathlib.Path(trial_dir) / MEMORY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record))


def rows(trials, param_names, project_dir):
    """One dict per trial, in trial order, with a `rank` by `val_loss`.

    Args:
        trials: the oracle's `{trial_id: Trial}`.
        param_names: the space's hyperparameter names (the columns).
        project_dir: the KerasTuner project folder, whose `trial_*` folders
            hold the memory records.
    """
    completed = sorted(
        (t for t in trials.values() if t.status == "COMPLETED" and t.score is not None),
        key=lambda t: t.score,
    )
    ranks = {t.trial_id: rank for rank, t in enumerate(completed, start=1)}
    table = []
    for trial_id in sorted(trials, key=int):
        trial = trials[trial_id]
        values = trial.hyperparameters.values
        record_path = pathlib.Path(project_dir) / f"trial_{trial_id}" / MEMORY_FILE
        record = json.loads(record_path.read_text()) if record_path.exists() else {}
        row = {
            "trial": trial_id,
            "rank": ranks.get(trial_id, ""),
            "status": trial.status,
            "val_loss": float(trial.score) if trial.score is not None else "",
        }
        row.update({name: values.get(name, "") for name in param_names})
        if "tuner/epochs" in values:  # Hyperband trains its trials for different epochs.
            row["epochs"] = values["tuner/epochs"]
        row["seconds"] = record.get("seconds", "")
        row["rss_mb"] = record.get("rss_mb", "")
        row["tuner_id"] = record.get("tuner_id", "")
        table.append(row)
    return table


def to_csv(table):
    if not table:
        return ""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(table[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)
    return buffer.getvalue()


def to_markdown(table):
    if not table:
        return "(no trials)"
    columns = list(table[0])
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for row in table:
        lines.append("| " + " | ".join(_shown(row[column]) for column in columns) + " |")
    return "\n".join(lines)


def _shown(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
