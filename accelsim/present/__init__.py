"""Layer 9, presentation: text reports, HTML, plots, the timeline and the SCALE-Sim-compatible reports."""
