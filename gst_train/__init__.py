"""gst_train: TD3 on Gymnasium MuJoCo with GST (Group-Sparse Training) and baselines, emitting accelsim traces."""

__version__ = "0.1.0"
