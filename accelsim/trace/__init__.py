"""Layer 1, the trace: the weight-transaction trace format and what makes or reads one.

The schema (``schema``), the one writer (``writer``, with checkpoint and resume), the one reader (``reader``,
which validates), packing a folder of parts into one file (``pack``), the storage formats and compression
ratio (``formats``), the canonical TD3 step (``td3_step``), synthetic traces (``synth``), compression figures
of a trace (``analysis``) and its validation summary (``validate``). The trainer (gst_train) imports this
layer and nothing above.
"""
