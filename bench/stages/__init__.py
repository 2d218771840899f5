"""The stages of the `platform` group, each against the one running stack (bench/platform_stack.py)."""
