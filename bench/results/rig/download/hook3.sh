pid=$1; out=$2; mkdir -p $out
sleep 2
tid=$(for t in /proc/$pid/task/*; do [ "$(cat $t/comm)" = torgate-shard-0 ] && basename $t; done | head -1)
rtid=$(for t in /proc/$pid/task/*; do case "$(cat $t/comm)" in torgate-tun-rea*) basename $t;; esac; done | head -1)
timeout -s INT 1.5 strace -c -p $tid -o $out/strace-worker.txt 2>/dev/null
timeout -s INT 1.5 strace -c -p $rtid -o $out/strace-reader.txt 2>/dev/null
true
