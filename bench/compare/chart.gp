# Bar chart of dump and restore wall times per tool, for bench/compare/report.
# Variables (gnuplot -e): dumpdat, restoredat (TSV: label, seconds, colour 1=limit 2=PostgreSQL
# 3=pgark, text beside the bar), out (PNG path), subtitle.
set terminal pngcairo size 1100,760 font "sans,10" noenhanced
set output out
set datafile separator "\t"
set style fill solid 0.85 border -1
set grid xtics lc rgb "#dddddd"
set xlabel "wall time, seconds (median; shorter is better)"
set xrange [0:*]
set offsets 0, graph 0.12, 0.5, 0.5
set yrange [*:*] reverse
unset key
set lmargin 44
set linetype 1 lc rgb "#8c8c8c"
set linetype 2 lc rgb "#3a6ea5"
set linetype 3 lc rgb "#e07b1a"

set multiplot layout 2,1 title "pgark vs pg_dump / pg_restore (".subtitle.")" noenhanced
set title "Dump" noenhanced
plot dumpdat using (0):0:(0):2:($0-0.38):($0+0.38):3:ytic(1) with boxxyerror lc variable, \
     dumpdat using 2:0:4 with labels left offset 0.5,0 font ",9"
set title "Restore" noenhanced
plot restoredat using (0):0:(0):2:($0-0.38):($0+0.38):3:ytic(1) with boxxyerror lc variable, \
     restoredat using 2:0:4 with labels left offset 0.5,0 font ",9"
unset multiplot
