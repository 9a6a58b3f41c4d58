"""Data: finding, reading and validating the data package, its dictionary, .bib and release stamp, and the loaders."""
