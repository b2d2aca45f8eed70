"""Layer 2, capture: any PyTorch training run recorded as a weight-transaction trace (schema version 2).

:class:`accelsim.capture.recorder.Recorder` (a context manager) hooks a running training loop, module forward
hooks, tensor hooks for what backward actually ran, optimizer step hooks and in-place target updates, and
writes ``RUN_DIR/trace`` through :class:`accelsim.trace.writer.TraceWriter`; ``accelsim capture`` runs an
unmodified script under it (:mod:`accelsim.capture.launch`). torch is imported only by ``recorder``,
``storage`` and ``launch``, and only when they run. The pure parts: ``events`` (what was seen, and the trace
rows it makes), ``optim`` (optimizer state and work per update), ``periodic`` (the step period found from the
steps, then the writer). This layer sits on the trace layer and nothing above it.
"""
