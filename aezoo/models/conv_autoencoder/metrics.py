"""The conv autoencoder's metric and quality bar: per-pixel test MSE."""

from aezoo.models.reconstruction import pixel_mse as evaluate  # noqa: F401 (the family's hook)


def quality_bar(metrics):
    """Test MSE below 0.02."""
    return metrics["mse"] < 0.02, "test MSE < 0.02"
