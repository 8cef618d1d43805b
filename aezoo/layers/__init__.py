"""Registered Keras layers and regularizers of aezoo (Keras only, no tfds)."""

from aezoo.layers.haze_floor import HazeFloor
from aezoo.layers.kl_sparsity import KLSparsity
from aezoo.layers.next_frame_conv_lstm import NextFrameConvLSTM
from aezoo.layers.repeat_frames import RepeatFrames
from aezoo.layers.shared_gaussian_noise import SharedGaussianNoise
from aezoo.layers.spatial_lstm import SpatialLSTM2D
from aezoo.layers.strided_conv_lstm2d import StridedConvLSTM2D
from aezoo.layers.transpose_batch_time import TransposeBatchTime
from aezoo.layers.transposed_conv_lstm2d import TransposedConvLSTM2D
from aezoo.layers.view_point_frames import ViewPointFrames

__all__ = [
    "HazeFloor",
    "KLSparsity",
    "NextFrameConvLSTM",
    "RepeatFrames",
    "SharedGaussianNoise",
    "SpatialLSTM2D",
    "StridedConvLSTM2D",
    "TransposeBatchTime",
    "TransposedConvLSTM2D",
    "ViewPointFrames",
]
