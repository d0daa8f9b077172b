// Download progress on stderr: a redrawn bar with bytes, rate and ETA on a TTY; else a line every 10 s / 25 %.
// Usage: resolveModel(repo, { onProgress: progressBar() }).
import type { DownloadProgress } from '../../loader/hub.js';

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

interface FileState {
  start: number; // ms
  startBytes: number; // bytes already there when the file began (a resumed download)
  lastDraw: number;
  lastQuarter: number;
}

/** A progress callback; `now` is injectable for tests. */
export function progressBar(
  stream: ProgressStream = process.stderr,
  now: () => number = () => performance.now(),
): (p: DownloadProgress) => void {
  const files = new Map<string, FileState>();
  return ({ file, bytesDone, bytesTotal }) => {
    const t = now();
    let state = files.get(file);
    if (!state) {
      state = { start: t, startBytes: bytesDone, lastDraw: -Infinity, lastQuarter: -1 };
      files.set(file, state);
    }
    const finished = bytesDone >= bytesTotal;
    const elapsed = (t - state.start) / 1000;
    const rate = elapsed > 0 ? (bytesDone - state.startBytes) / elapsed : 0;
    const eta = rate > 0 ? (bytesTotal - bytesDone) / rate : Infinity;
    const fraction = bytesTotal > 0 ? bytesDone / bytesTotal : 1;
    const numbers = `${formatBytes(bytesDone)}/${formatBytes(bytesTotal)} ${formatBytes(rate)}/s ETA ${formatDuration(eta)}`;
    if (stream.isTTY) {
      if (!finished && t - state.lastDraw < 100) return; // ~10 redraws a second
      state.lastDraw = t;
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - file.length - numbers.length - 12));
      const full = Math.round(fraction * width);
      const bar = `${'#'.repeat(full)}${'.'.repeat(width - full)}`;
      stream.write(`\r\x1b[K${file} [${bar}] ${(fraction * 100).toFixed(0).padStart(3)}% ${numbers}${finished ? '\n' : ''}`);
    } else {
      const quarter = Math.floor(fraction * 4);
      if (!finished && quarter === state.lastQuarter && t - state.lastDraw < 10_000) return;
      state.lastDraw = t;
      state.lastQuarter = quarter;
      stream.write(`${file}: ${(fraction * 100).toFixed(0)}% ${numbers}\n`);
    }
    if (finished) files.delete(file);
  };
}
