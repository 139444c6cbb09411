"""Sending and counting traffic: each request one outcome (request.py), sent by the clock or in
loops (watcher.py), summed up by version and kind of failure (summary.py) and shown live
(live.py); `python -m tools.traffic.watch` is make watch. It knows nothing of Kubernetes: it
sends HTTP to a URL, and imports only tools.cli."""
