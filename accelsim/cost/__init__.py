"""Layer 5, the cost model both engines share: the hardware packed for the kernels (``hardware_vector``),
what a DRAM transfer costs (``dram_cost``), a row's compute, decode and DRAM cycles and energy (``rows``), the
buffering policy (``policy``) and the PE array's cycles (``systolic``)."""
