#!/usr/bin/env bash
# bench_gpsdecode.sh compares 'deconflict decode --format ais' with gpsd's
# 'gpsdecode -j' on the same input, whole process, same machine, same run.
#
# Input: the AMSA recording (testdata/ais/amsa-risky/ais.txt.gz),
# decompressed and repeated COPIES times (default 9: 308,304 AIS sentences,
# 402,183 lines). Each tool reads the file on standard input and writes
# JSON lines to /dev/null (gpsdecode's error messages on stderr go to
# /dev/null too); the runs alternate between the tools, RUNS times each, and
# the medians of wall time and of CPU time (user + system) are reported. On
# a shared machine the CPU time is the steadier figure.
#
# usage: ais/bench_gpsdecode.sh [RUNS] [COPIES]    (from the repository root)
#        DECONFLICT=/path/to/deconflict ais/bench_gpsdecode.sh ...   (use that binary)
set -euo pipefail

runs=${1:-5}
copies=${2:-9}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

command -v gpsdecode >/dev/null || { echo "gpsdecode not found (Debian package gpsd-clients)" >&2; exit 1; }
if [ -n "${DECONFLICT:-}" ]; then # a binary built beforehand
	cp "$DECONFLICT" "$tmp/deconflict"
else
	(cd "$root" && go build -o "$tmp/deconflict" ./cmd/deconflict)
fi

load=$(cut -d' ' -f1-3 /proc/loadavg)
in=$tmp/amsa.nmea
for _ in $(seq "$copies"); do gzip -dc "$root/testdata/ais/amsa-risky/ais.txt.gz"; done >"$in"
sentences=$(grep -c '^!' "$in")
lines=$(wc -l <"$in")

# Messages each tool prints (AIS JSON lines).
n_ours=$("$tmp/deconflict" decode --format ais <"$in" 2>/dev/null | wc -l)
n_gpsd=$(gpsdecode -j <"$in" 2>/dev/null | grep -c '"class":"AIS"')

# run appends "wall cpu" seconds of one run of "$@" < $in > /dev/null to
# the file $out (cpu = user + system).
run() {
	local out=$1
	shift
	/usr/bin/time -f '%e %U %S' -o "$tmp/time" "$@" <"$in" >/dev/null 2>/dev/null
	awk '{printf "%s %.3f\n", $1, $2 + $3}' "$tmp/time" >>"$out"
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

: >"$tmp/ours"
: >"$tmp/gpsd"
for _ in $(seq "$runs"); do
	run "$tmp/ours" "$tmp/deconflict" decode --format ais
	run "$tmp/gpsd" gpsdecode -j
done
w_ours=$(cut -d' ' -f1 "$tmp/ours" | median)
w_gpsd=$(cut -d' ' -f1 "$tmp/gpsd" | median)
c_ours=$(cut -d' ' -f2 "$tmp/ours" | median)
c_gpsd=$(cut -d' ' -f2 "$tmp/gpsd" | median)
rate() { echo "$1 / $2" | bc -l; }

printf 'input: %d copies of amsa-risky/ais.txt.gz: %d lines, %d AIS sentences\n' "$copies" "$lines" "$sentences"
printf 'host: %s, %s cores, %s\n' "$(uname -m)" "$(nproc)" "$(gpsdecode -V 2>&1 | head -1)"
printf '%-32s %10s %10s %10s %14s %14s\n' tool 'wall s' 'cpu s' messages 'msgs/s wall' 'msgs/s cpu'
printf '%-32s %10.3f %10.3f %10d %14.0f %14.0f\n' "deconflict decode --format ais" "$w_ours" "$c_ours" "$n_ours" "$(rate "$n_ours" "$w_ours")" "$(rate "$n_ours" "$c_ours")"
printf '%-32s %10.3f %10.3f %10d %14.0f %14.0f\n' "gpsdecode -j" "$w_gpsd" "$c_gpsd" "$n_gpsd" "$(rate "$n_gpsd" "$w_gpsd")" "$(rate "$n_gpsd" "$c_gpsd")"
printf 'ratio of messages/s, deconflict / gpsdecode: %.1f (wall), %.1f (cpu)\n' \
	"$(echo "($n_ours / $w_ours) / ($n_gpsd / $w_gpsd)" | bc -l)" "$(echo "($n_ours / $c_ours) / ($n_gpsd / $c_gpsd)" | bc -l)"
printf 'runs (wall cpu): deconflict %s; gpsdecode %s\n' "$(tr '\n' ';' <"$tmp/ours")" "$(tr '\n' ';' <"$tmp/gpsd")"
printf 'load average before the runs: %s\n' "$load"
