"""Judging layer: heuristic and LLM judges, the judgment ledger, pairwise comparisons."""
