"""notify's rules in plain Python: no I/O, no framework imports."""
