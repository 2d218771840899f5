"""The durable delivery queue: its topology, its jobs, a windowed publisher and a consumer (pika, not nameko)."""
