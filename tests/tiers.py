"""The `slow` cases of tests parametrized over the registry.

A registry-wide test is fast for most models; for a model listed in
`SLOW_MODELS` its cases take seconds even at the harness's small sizes, and
`by_model` marks them `slow` (tests/conftest.py describes the tiers).
"""

import pytest

# The conditional conv-LSTM predictor traces a time loop over its frames:
# a step or an export takes 2 to 16 s on 2 CPU cores where the other models
# take about 1 s.
SLOW_MODELS = ("convlstm_bidir_predictor",)


def by_model(cases):
    """The cases of a registry-wide test as `pytest.param`s, those of a model
    in `SLOW_MODELS` marked `slow`.

    Args:
        cases: model names, or tuples whose first item is a model name
            (e.g. `(name, preset)`).

    Returns:
        A list of `pytest.param`, one per case, in the same order.

    Example:

    ```python
    @pytest.mark.parametrize("name", by_model(aezoo.list_models()))
    def test_something(name): ...
    ```
    """
    params = []
    for case in cases:
        values = case if isinstance(case, tuple) else (case,)
        marks = [pytest.mark.slow] if values[0] in SLOW_MODELS else []
        params.append(pytest.param(*values, marks=marks))
    return params
