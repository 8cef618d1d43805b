"""Tests of aezoo on other Keras backends, each in subprocesses."""

import os


def backend_env(backend, tmp_path_factory):
    """The environment of a subprocess on `backend`: TensorFlow's start-up
    lines off, and one JAX compilation cache for the whole test session, so
    a model compiled by one JAX process is not compiled again by the next."""
    cache = tmp_path_factory.getbasetemp() / "jax_compilation_cache"
    return {
        **os.environ,
        "KERAS_BACKEND": backend,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "JAX_COMPILATION_CACHE_DIR": str(cache),
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
        "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
    }
