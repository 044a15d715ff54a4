"""Present results: command line, summaries, reports."""
