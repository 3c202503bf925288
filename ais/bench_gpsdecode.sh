#!/usr/bin/env bash
# bench_gpsdecode.sh compares 'deconflict decode --format ais' with gpsd's
# 'gpsdecode -j' on the same input, whole process, same machine, same run.
#
# Input: the AMSA recording (testdata/ais/amsa-risky/ais.txt.gz),
# decompressed and repeated COPIES times (default 9: 308,304 AIS sentences,
# 402,183 lines). Each tool reads the file on standard input and writes
# JSON lines to /dev/null (gpsdecode's error messages on stderr go to
# /dev/null too); the runs alternate between the tools, RUNS times each, and
# the median wall time is reported.
#
# usage: ais/bench_gpsdecode.sh [RUNS] [COPIES]    (from the repository root)
set -euo pipefail

runs=${1:-5}
copies=${2:-9}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

command -v gpsdecode >/dev/null || { echo "gpsdecode not found (Debian package gpsd-clients)" >&2; exit 1; }
(cd "$root" && go build -o "$tmp/deconflict" ./cmd/deconflict)

in=$tmp/amsa.nmea
for _ in $(seq "$copies"); do gzip -dc "$root/testdata/ais/amsa-risky/ais.txt.gz"; done >"$in"
sentences=$(grep -c '^!' "$in")
lines=$(wc -l <"$in")

# Messages each tool prints (AIS JSON lines).
n_ours=$("$tmp/deconflict" decode --format ais <"$in" 2>/dev/null | wc -l)
n_gpsd=$(gpsdecode -j <"$in" 2>/dev/null | grep -c '"class":"AIS"')

wall() { # wall seconds of one run of "$@" < $in > /dev/null
	local s e
	s=$(date +%s.%N)
	"$@" <"$in" >/dev/null 2>&1
	e=$(date +%s.%N)
	echo "$e - $s" | bc -l
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

: >"$tmp/ours"
: >"$tmp/gpsd"
for _ in $(seq "$runs"); do
	wall "$tmp/deconflict" decode --format ais >>"$tmp/ours"
	wall gpsdecode -j >>"$tmp/gpsd"
done
t_ours=$(median <"$tmp/ours")
t_gpsd=$(median <"$tmp/gpsd")

printf 'input: %d copies of amsa-risky/ais.txt.gz: %d lines, %d AIS sentences\n' "$copies" "$lines" "$sentences"
printf 'host: %s, %s cores, %s\n' "$(uname -m)" "$(nproc)" "$(gpsdecode -V 2>&1 | head -1)"
printf '%-32s %8s %10s %14s %14s\n' tool seconds messages 'messages/s' 'sentences/s'
printf '%-32s %8.3f %10d %14.0f %14.0f\n' "deconflict decode --format ais" "$t_ours" "$n_ours" "$(echo "$n_ours / $t_ours" | bc -l)" "$(echo "$sentences / $t_ours" | bc -l)"
printf '%-32s %8.3f %10d %14.0f %14.0f\n' "gpsdecode -j" "$t_gpsd" "$n_gpsd" "$(echo "$n_gpsd / $t_gpsd" | bc -l)" "$(echo "$sentences / $t_gpsd" | bc -l)"
printf 'ratio (messages/s, deconflict / gpsdecode): %.2f\n' "$(echo "($n_ours / $t_ours) / ($n_gpsd / $t_gpsd)" | bc -l)"
printf 'all runs (s): deconflict %s; gpsdecode %s\n' "$(tr '\n' ' ' <"$tmp/ours")" "$(tr '\n' ' ' <"$tmp/gpsd")"
