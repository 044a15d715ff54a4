"""Options of the design step."""
