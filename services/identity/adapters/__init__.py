"""What identity talks to: its database and the token signing key."""
