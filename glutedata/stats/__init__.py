"""Statistics: bands, meta-analysis engines, pooling, certainty, consensus networks, sensitivity."""
