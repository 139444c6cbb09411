"""Talking to the cluster: the guard that refuses a cluster that is not a workshop's (guard.py),
the make, kubectl and docker commands and the states scenarios wait for (commands.py), what the
deploy targets apply and how (manifests.py, deploy.py), images onto kind's nodes
(kind_images.py) and kube-proxy's rules (kube_proxy.py). It uses tools.traffic to ask the app
which version answers, and nothing above it. Empty of code itself: make doctor imports guard.py
on Python 3.8."""
