"""What a measurement leaves: each scenario's Result, its expectation, verdict and tables
(result.py), its failures against what the pods did (diagnosis.py), its picture (chart.py), and
where and when it was measured, written into every results file (provenance.py). Below the
scenarios that make results, above the traffic and the cluster they come from."""
