"""Pure rules of the gateway: no I/O, no nameko, no HTTP."""
