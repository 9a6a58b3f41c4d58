"""Queries a clinician or researcher asks: filter, rank, summarise, progressions, gaps, consensus,
sensitivity, citations."""
