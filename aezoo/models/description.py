"""`describe(name)`: a registered model's task, contract, presets and size."""

from aezoo import registry
from aezoo.models.flops import count_flops


def describe(name):
    """A dict describing a model: task, specs, source, presets, size.

    The parameter count and FLOPs per example are measured on the
    `default` preset, built once for the purpose.

    Example:

    ```python
    aezoo.describe("conv_autoencoder")["parameters"]
    ```
    """
    family, config = registry.resolve(name)
    model = family.build(config)
    return {
        "name": family.name,
        "summary": family.summary,
        "task": family.task,
        "source": family.source,
        "dataset": family.dataset,
        "inputs": family.inputs.format(**config),
        "outputs": family.outputs.format(**config),
        "presets": family.preset_names(),
        "default_config": dict(config),
        "parameters": int(model.count_params()),
        "flops_per_example": int(count_flops(model)),
    }
