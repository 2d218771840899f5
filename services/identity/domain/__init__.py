"""Pure rules of identity: no I/O, importable by the gateway."""
