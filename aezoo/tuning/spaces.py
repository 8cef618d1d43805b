"""Search spaces: for each model, the hyperparameters worth tuning and why.

Each family holds its own space (`aezoo/models/<family>/space.py`, an
`aezoo.search_space.Space`: a tuple of `Param`s and a function turning one
point into `aezoo.build` overrides). Every point, bounds included, builds a
valid model (tests/tuning/test_spaces.py builds the corners).

`SPACES` is every registered family's space, by model name; `space_table()`
renders them, with their ranges and reasons, as the Markdown table of the
README.
"""

from collections.abc import Mapping

from aezoo import registry
from aezoo.search_space import Param  # noqa: F401 (the classes of every space)
from aezoo.search_space import Space  # noqa: F401


class _Spaces(Mapping):
    """Model name -> `Space` of each registered family that has one, read
    from the registry at each use (so a plugin's family is in it)."""

    def _spaces(self):
        families = (registry.get_model_info(name) for name in registry.list_models())
        return {f.name: f.search_space for f in families if f.search_space is not None}

    def __getitem__(self, name):
        return self._spaces()[name]

    def __iter__(self):
        return iter(self._spaces())

    def __len__(self):
        return len(self._spaces())


SPACES = _Spaces()


def get_space(name):
    """The `Space` of a registered model.

    Raises:
        ValueError: unknown model, or a model whose family has no search
            space.
    """
    return registry.get_model_info(name).require("search_space")


def space_table():
    """Every space as a Markdown table: model, hyperparameter, range,
    default, reason."""
    lines = [
        "| model | hyperparameter | range | default | why |",
        "|---|---|---|---|---|",
    ]
    for name, space in SPACES.items():
        for index, param in enumerate(space.params):
            model = f"`{name}`" if index == 0 else ""
            lines.append(
                f"| {model} | `{param.name}` | {param.describe_range()} | "
                f"{param.default} | {param.reason} |"
            )
    return "\n".join(lines)
