"""Running scenarios on a cluster under watched traffic: one measurement (measuring.py), the demo
and baseline with the command line of them all (runner.py, `python -m tools.scenarios`), the
failure drills, the lesson and its variants, the labs' checks, the watcher against vegeta, and
kube-proxy's propagation. Uses tools.results, tools.cluster and tools.traffic; only
tools.report stands above it."""
