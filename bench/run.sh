#!/usr/bin/env bash
# Benchmark harness: runs the benchmark guests on vmlab (interpreter, and binary translation as
# row `bt`) and on QEMU (TCG), best of 3 wall-clock runs each, subtracts the start-up cost
# measured with the same guest built for 0 iterations, and prints a table plus machine-readable
# lines:
#   interp_mips=N  bt_mips=N  qemu_tcg_mips=N  ratio_vmlab_over_qemu=X  ratio_bt_over_qemu=X
#
#   bash bench/run.sh BUILD_DIR            # full run (~1-2 s of work per QEMU run)
#   bash bench/run.sh BUILD_DIR --quick    # tiny counts: checks the harness works
# Iteration counts (env): VMLAB_ITERS (cpu_loop on vmlab, default 20000000), BT_ITERS (on bt,
# 50000000),
# QEMU_ITERS (default 150000000), VMLAB_ROUNDS / QEMU_ROUNDS (mem_paging, 1000 / 2000).
# The guests get them through the multiboot command line (-append iters=N / rounds=N);
# cpu_loop executes exactly 13*N + N/2 + 18 instructions (bench/cpu_loop/loop.S).
set -uo pipefail
build=${1:?usage: bench/run.sh BUILD_DIR [--quick]}
quick=${2:-}
vmlab=$build/vmlab
qemu=$(command -v qemu-system-i386 || true)
bench=$build/bench
runs=3
VMLAB_ITERS=${VMLAB_ITERS:-20000000}
BT_ITERS=${BT_ITERS:-50000000}
QEMU_ITERS=${QEMU_ITERS:-150000000}
VMLAB_ROUNDS=${VMLAB_ROUNDS:-1000}
QEMU_ROUNDS=${QEMU_ROUNDS:-2000}
if [ "$quick" = "--quick" ]; then
  VMLAB_ITERS=200000 BT_ITERS=200000 QEMU_ITERS=2000000 VMLAB_ROUNDS=2 QEMU_ROUNDS=20 runs=1
fi
common=(-display none -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot)

for f in cpu_loop/bench_cpu_loop cpu_loop/bench_cpu_loop_empty mem_paging/bench_mem_paging \
         mem_paging/bench_mem_paging_empty; do
  [ -f "$bench/$f.elf" ] || { echo "missing $bench/$f.elf: build first (cmake --build $build)" >&2; exit 2; }
done

# run EMU ELF APPEND -> prints "seconds output-file" of one run; status 0 only if the guest
# passed (exit status 1 = it wrote 0 to port 0xf4).
out_dir=$(mktemp -d)
trap 'rm -rf "$out_dir"' EXIT
# vmlab --backend bt as one executable, so every helper below takes it like the others.
vmlab_bt=$out_dir/vmlab-bt
printf '#!/bin/sh\nexec "%s" --backend bt "$@"\n' "$(realpath "$vmlab" 2>/dev/null || echo "$vmlab")" > "$vmlab_bt"
chmod +x "$vmlab_bt"
run_once() {
  local emu=$1 elf=$2 append=$3 out=$out_dir/out.$RANDOM
  local args=("${common[@]}")
  [ -n "$append" ] && args+=(-append "$append")
  [ "$emu" = "$qemu" ] && args+=(-accel tcg)
  local t0 t1 st
  t0=$(date +%s.%N)
  timeout 300 "$emu" -kernel "$elf" "${args[@]}" </dev/null >"$out" 2>&1
  st=$?
  t1=$(date +%s.%N)
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.4f", b-a}') $out"
  [ $st -eq 1 ]
}
# best EMU ELF APPEND -> "best_seconds output-file" (or fails)
best() {
  local best_t="" best_out="" r t out
  for ((i = 0; i < runs; i++)); do
    r=$(run_once "$@") || { echo "FAILED ${r#* }"; return 1; }
    t=${r%% *}; out=${r#* }
    if [ -z "$best_t" ] || awk -v a="$t" -v b="$best_t" 'BEGIN{exit !(a<b)}'; then
      best_t=$t best_out=$out
    fi
  done
  echo "$best_t $best_out"
}
field() { grep -a "^$1=" "$2" | head -1 | cut -d= -f2 | tr -d '\r'; }

declare -A res
measure() {  # name emu-label emu workload-elf baseline-elf append
  local name=$1 label=$2 emu=$3 elf=$4 base=$5 append=$6 b w
  if ! b=$(best "$emu" "$base" ""); then
    echo "note: $label could not run $base:" >&2; tail -5 "${b#FAILED }" >&2; return 1
  fi
  if ! w=$(best "$emu" "$elf" "$append"); then
    echo "note: $label could not run $elf:" >&2; tail -5 "${w#FAILED }" >&2; return 1
  fi
  res[$name.$label.base]=${b%% *}
  res[$name.$label.wall]=${w%% *}
  res[$name.$label.net]=$(awk -v a="${w%% *}" -v b="${b%% *}" 'BEGIN{n=a-b; if(n<0.0001)n=0.0001; printf "%.4f", n}')
  res[$name.$label.insns]=$(field instructions "${w#* }")
  res[$name.$label.touches]=$(field page_touches "${w#* }")
  res[$name.$label.checksum]=$(field checksum "${w#* }")
}

have_vmlab=0
[ -x "$vmlab" ] && have_vmlab=1
[ $have_vmlab = 1 ] || echo "note: $vmlab not found: vmlab columns skipped" >&2
[ -n "$qemu" ] || echo "note: qemu-system-i386 not found: QEMU columns skipped" >&2

ok_vmlab_cpu=0 ok_qemu_cpu=0
if [ $have_vmlab = 1 ]; then
  measure cpu vmlab "$vmlab" "$bench/cpu_loop/bench_cpu_loop.elf" "$bench/cpu_loop/bench_cpu_loop_empty.elf" "iters=$VMLAB_ITERS" && ok_vmlab_cpu=1
  measure mem vmlab "$vmlab" "$bench/mem_paging/bench_mem_paging.elf" "$bench/mem_paging/bench_mem_paging_empty.elf" "rounds=$VMLAB_ROUNDS"
  measure cpu bt "$vmlab_bt" "$bench/cpu_loop/bench_cpu_loop.elf" "$bench/cpu_loop/bench_cpu_loop_empty.elf" "iters=$BT_ITERS"
  measure mem bt "$vmlab_bt" "$bench/mem_paging/bench_mem_paging.elf" "$bench/mem_paging/bench_mem_paging_empty.elf" "rounds=$VMLAB_ROUNDS"
fi
if [ -n "$qemu" ]; then
  measure cpu qemu "$qemu" "$bench/cpu_loop/bench_cpu_loop.elf" "$bench/cpu_loop/bench_cpu_loop_empty.elf" "iters=$QEMU_ITERS" && ok_qemu_cpu=1
  measure mem qemu "$qemu" "$bench/mem_paging/bench_mem_paging.elf" "$bench/mem_paging/bench_mem_paging_empty.elf" "rounds=$QEMU_ROUNDS"
fi

# mem_paging's instruction count is not known in closed form: vmlab counts it exactly
# (--stats-json run.instructions) for the workload and the 0-round baseline, and the count per
# round (the guest's work is the same on every emulator) gives each run's instructions.
insns_per_round=""
if [ $have_vmlab = 1 ]; then
  count_insns() {  # ELF APPEND -> retired instructions
    "$vmlab" -kernel "$1" ${2:+-append "$2"} -display none -serial null \
      -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot --stats-json "$out_dir/s.json" \
      </dev/null >/dev/null 2>&1
    grep -o '"run.instructions": *[0-9]*' "$out_dir/s.json" | grep -o '[0-9]*$'
  }
  i_work=$(count_insns "$bench/mem_paging/bench_mem_paging.elf" "rounds=$VMLAB_ROUNDS")
  i_base=$(count_insns "$bench/mem_paging/bench_mem_paging_empty.elf" "")
  if [ -n "$i_work" ] && [ -n "$i_base" ]; then
    insns_per_round=$(awk -v w="$i_work" -v b="$i_base" -v r="$VMLAB_ROUNDS" 'BEGIN{printf "%.3f", (w-b)/r}')
  fi
fi
rounds_of() { [ "$1" = qemu ] && echo "$QEMU_ROUNDS" || echo "$VMLAB_ROUNDS"; }

printf '\n%-11s %-6s %12s %9s %9s %9s %14s %12s\n' benchmark emu work best_s start_s net_s rate mips
for name in cpu mem; do
  for label in vmlab bt qemu; do
    [ -n "${res[$name.$label.wall]:-}" ] || continue
    if [ $name = cpu ]; then
      work=${res[$name.$label.insns]}
      rate=$(awk -v n="$work" -v t="${res[$name.$label.net]}" 'BEGIN{printf "%.1f MIPS", n/t/1e6}')
      res[$name.$label.rate]=${rate% MIPS}
      bname=cpu_loop
    else
      work=${res[$name.$label.touches]}
      rate=$(awk -v n="$work" -v t="${res[$name.$label.net]}" 'BEGIN{printf "%.2f Mtouch/s", n/t/1e6}')
      bname=mem_paging
    fi
    mips=""
    if [ $name = cpu ]; then
      mips=${res[$name.$label.rate]}
    elif [ -n "$insns_per_round" ]; then
      mips=$(awk -v p="$insns_per_round" -v r="$(rounds_of $label)" -v t="${res[$name.$label.net]}" \
        'BEGIN{printf "%.1f", p*r/t/1e6}')
      res[$name.$label.mips]=$mips
    fi
    printf '%-11s %-6s %12s %9s %9s %9s %14s %12s\n' $bname $label "$work" "${res[$name.$label.wall]}" \
      "${res[$name.$label.base]}" "${res[$name.$label.net]}" "$rate" "${mips:-n/a}"
  done
done
echo "(work: instructions for cpu_loop, page touches for mem_paging; best of $runs runs;"
echo " start_s = best wall time of the same guest built for 0 iterations, subtracted;"
echo " mem_paging mips: ${insns_per_round:-?} guest instructions per round, counted by vmlab)"

# Cross-check: both emulators must compute the same checksum for the same count.
if [ $ok_vmlab_cpu = 1 ] && [ $ok_qemu_cpu = 1 ]; then
  a=$(run_once "$vmlab" "$bench/cpu_loop/bench_cpu_loop.elf" iters=100000) && a=$(field checksum "${a#* }")
  b=$(run_once "$qemu" "$bench/cpu_loop/bench_cpu_loop.elf" iters=100000) && b=$(field checksum "${b#* }")
  [ "$a" = "$b" ] && echo "checksum_match=yes" || echo "checksum_match=no (vmlab $a, qemu $b)"
fi
echo "interp_mips=${res[cpu.vmlab.rate]:-unavailable}"
echo "bt_mips=${res[cpu.bt.rate]:-unavailable}"
echo "qemu_tcg_mips=${res[cpu.qemu.rate]:-unavailable}"
echo "interp_paging_mips=${res[mem.vmlab.mips]:-unavailable}"
echo "bt_paging_mips=${res[mem.bt.mips]:-unavailable}"
echo "qemu_tcg_paging_mips=${res[mem.qemu.mips]:-unavailable}"
if [ -n "${res[cpu.vmlab.rate]:-}" ] && [ -n "${res[cpu.qemu.rate]:-}" ]; then
  echo "ratio_vmlab_over_qemu=$(awk -v a="${res[cpu.vmlab.rate]}" -v b="${res[cpu.qemu.rate]}" 'BEGIN{printf "%.4f", a/b}')"
else
  echo "ratio_vmlab_over_qemu=unavailable"
fi
if [ -n "${res[cpu.bt.rate]:-}" ] && [ -n "${res[cpu.qemu.rate]:-}" ]; then
  echo "ratio_bt_over_qemu=$(awk -v a="${res[cpu.bt.rate]}" -v b="${res[cpu.qemu.rate]}" 'BEGIN{printf "%.4f", a/b}')"
else
  echo "ratio_bt_over_qemu=unavailable"
fi
