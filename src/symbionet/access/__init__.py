"""Access step: what each role of the platform may see of a park's results (``views``)."""
