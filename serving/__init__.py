"""How a request runs: the background bridge, batching, the time budget and the payload hook."""
