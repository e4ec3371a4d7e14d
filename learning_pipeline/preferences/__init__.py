"""Preference pairs: generation rules, dedup, held-out split, export, the training trigger."""
