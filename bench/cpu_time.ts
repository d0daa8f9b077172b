// CPU time of every thread but the main one (lavapipe's compute thread pool and Dawn's queue threads; the main
// thread only encodes and waits), from /proc/self/task (Linux). On the shared 2-core
// dev box wall time swings with other workers' load; the CPU seconds the kernel itself burns do not, so the
// bench also reports throughput per CPU-second to compare variants. Undefined where /proc or lavapipe is absent.
import { readFileSync, readdirSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ = 100 on Linux

export function workerCpuMs(): number | undefined {
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return undefined;
  }
  let ticks = 0;
  let found = false;
  for (const t of tasks) {
    try {
      if (t === String(process.pid)) continue;
      const stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from #3 (state) on
      ticks += Number(fields[11]) + Number(fields[12]); // utime (#14) + stime (#15)
      found = true;
    } catch {
      // thread exited between readdir and read
    }
  }
  return found ? ticks * TICK_MS : undefined;
}
