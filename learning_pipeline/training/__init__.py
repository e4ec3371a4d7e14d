"""Training layer: tiny local base models, DPO LoRA training, preference evaluation."""
