"""notify: who can be reached and how, and (later) the deliveries that reach them."""
