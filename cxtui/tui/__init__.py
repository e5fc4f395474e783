"""The Textual front end. Imported only by `cxtui [DATA]` (see cli.tui)."""
