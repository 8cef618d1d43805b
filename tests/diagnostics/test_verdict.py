import json

import numpy as np
import pytest

from aezoo.diagnostics import Verdict


def test_verdict_reads_prints_and_serializes():
    verdict = Verdict(
        "code_collapse",
        False,
        "The code is collapsed.",
        numbers={"relative_spread": np.float64(2e-4), "examples": np.int64(512)},
        histograms={"dimension_spread": np.array([1e-4, 3e-4])},
        details={"layers": ("code",)},
    )
    assert str(verdict) == "[PROBLEM] code_collapse: The code is collapsed."
    assert str(Verdict("sparsity", True, "Fine.")) == "[ok] sparsity: Fine."
    assert verdict["relative_spread"] == 2e-4
    assert verdict["dimension_spread"].tolist() == [1e-4, 3e-4]
    assert verdict["layers"] == ("code",)
    available = "Available: relative_spread, examples, dimension_spread, layers"
    with pytest.raises(KeyError, match=available):
        verdict["spread"]
    plain = json.loads(json.dumps(verdict.as_dict()))
    assert plain["numbers"] == {"relative_spread": 2e-4, "examples": 512}
    assert plain["histograms"]["dimension_spread"] == [1e-4, 3e-4]
    assert plain["ok"] is False
