"""The sparse autoencoder's metrics and quality bar: per-pixel test MSE and
the hidden units' mean activation against rho."""

from aezoo.models.reconstruction import pixel_mse


def evaluate(model, batches, config):
    """Per-pixel MSE, rho, and the hidden layer's mean activation (overall,
    and the least and most active units' means)."""
    from aezoo import diagnostics

    result = pixel_mse(model, batches, config)
    sparsity = diagnostics.activation_sparsity(
        model, batches.dataset, layer_name="hidden", rho=config["rho"], max_examples=None
    ).numbers
    result.update(
        rho=float(config["rho"]),
        mean_activation=sparsity["mean_activation"],
        unit_mean_min=sparsity["min_unit_mean"],
        unit_mean_max=sparsity["max_unit_mean"],
    )
    return result


def quality_bar(metrics):
    """Mean activation within 20% of rho."""
    passed = abs(metrics["mean_activation"] - metrics["rho"]) <= 0.2 * metrics["rho"]
    return passed, "mean activation within 20% of rho"
