"""Publishing: the static site, the data pages and the patient handout, with their templates."""
