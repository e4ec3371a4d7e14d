"""The flywheel cycle as a record: what each turn captured, judged, paired, trained and promoted."""
