"""Input and output at the edges of the pipeline."""
