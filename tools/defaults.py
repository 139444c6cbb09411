"""The traffic defaults, in one place: the Makefile passes nothing unless told to, and both
command lines (``python -m tools.watch``, ``python -m tools.scenarios``) start from these."""

# Where the Service answers on every supported cluster: NodePort 30080 on 127.0.0.1.
URL = "http://127.0.0.1:30080"
# Parallel request loops: enough to keep every pod busy, few enough for a 2-core laptop.
CONCURRENCY = 8
# Requests/s across all loops: enough to see every failure, and paced so that the client does
# not take the CPU that kubelet, kube-proxy and the pods need on a laptop.
RATE = 300.0
# How long one request may take before it counts as failed, watching by hand: a healthy pod
# answers in milliseconds, so 2 s already means "something is wrong".
WATCH_TIMEOUT_S = 2.0
# The same for the demo, the drills and the end-to-end tests, whose verdicts are exact: a request
# merely slowed by a node busy starting pods is not lost, while one sent to a gone or closed pod
# hangs far longer or is reset, and still counts.
SCENARIO_TIMEOUT_S = 5.0
