"""`make bench`: accuracy on held-out data, latency, throughput, memory, training time."""
