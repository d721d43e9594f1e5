"""The shipped one-thing scenarios (一件事), one YAML file each.

The format is described in ``exchange.prefill.scenario``."""
