pid=$1; out=$2; mkdir -p $out
sleep 1.5
snap() { for t in /proc/$pid/task/*; do echo "$(basename $t) $(tr ' ' '_' < $t/comm) $(awk '{sub(/^.*\) /,""); print $12+$13}' $t/stat)"; done | sort; }
snap > $out/th0.txt; sleep 2; snap > $out/th1.txt
join $out/th0.txt $out/th1.txt | awk '$5-$3>0{print $2, ($5-$3)/2 "%"}' >> $out/threads.txt
echo --- >> $out/threads.txt
