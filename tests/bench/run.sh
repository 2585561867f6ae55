#!/bin/sh
# make bench: durable submit throughput and latency. Figures only, never a
# pass/fail on time.
B=${SAMHAND_BUILD:-build}
echo "== bench_submit (4 clients, durable acks, CURVE on loopback)"
"$B/bench_submit" 4 25000 128
echo "== bench_submit (1 client, window 1: latency of a lone submit)"
"$B/bench_submit" 1 2000 1
echo "== bench_parts (cost per operation of encryption, audit, scanner, policy)"
"$B/bench_parts"
