"""The traffic defaults, in one place: the Makefile passes nothing unless told to, and both
command lines (``python -m tools.traffic.watch``, ``python -m tools.scenarios``) start from
these."""

# Where the Service answers on every supported cluster: NodePort 30080 on 127.0.0.1, where
# kube-proxy picks the pod; and the gateway of `make gateway`, NodePort 30081 on 127.0.0.1, where
# Traefik picks the pod itself. The ways in, by the name --via and VIA= give them.
URL = "http://127.0.0.1:30080"
GATEWAY_URL = "http://127.0.0.1:30081"
WAYS_IN = {"nodeport": URL, "gateway": GATEWAY_URL}
# Connections kept ready (open loop), or parallel request loops (closed loop, --rate max):
# enough to keep every pod busy, few enough for a 2-core laptop.
CONCURRENCY = 8
# Requests/s across all loops: enough to see every failure, paced so that the client does not
# take the CPU that kubelet, kube-proxy and the pods need on a laptop, and below ~235 new
# connections/s: on kind, Docker's port proxy holds each connection's TIME_WAIT for 60 s and
# Linux hands out even source ports first (14,116 of them); once all are held, a port that a
# crashed pod reset is the only free one, is handed out again and again, and the node's
# connection tracking sends it back to the dead pod (docs/deep-dives.md, "The crash drill").
RATE = 200.0
# How long one request may take before it counts as failed, for every tool: a successful one
# takes milliseconds (docs/results.md, "How long a request takes"), but one whose first SYN, or
# first two, go unanswered takes 1 s or 3 s (Linux sends it again after 1 s, then 2 s later).
# 5 s counts those as slow, not failed, while a request to a gone or closed pod hangs for good
# or is refused or reset, and still counts.
TIMEOUT_S = 5.0
# Requests in flight at most (open loop): a request answered in 2-10 ms leaves one or two in
# flight at 200/s, so only a stall reaches this (2.5 s of requests with no answer); a slot due
# then is counted as failed, `not_sent`, rather than sent late or skipped.
MAX_IN_FLIGHT = 500
