#!/usr/bin/env node
// The `internvl` bin. It runs the CLI (tools/internvl_cli.ts) in a child process whose stderr passes through a
// filter, so that a command prints nothing but its answer: Dawn writes two limit warnings from native code when
// it enumerates a lavapipe adapter ("maxDynamic…BuffersPerPipelineLayout artificially reduced…", an fprintf in
// dawn/native/Limits.cpp that no option turns off and JavaScript cannot redirect in-process).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const DAWN_NOISE = /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced/;
const NOISE_START = 'Warning: maxDynamic';
const couldBeNoise = (partial: string) => (partial.length < NOISE_START.length ? NOISE_START.startsWith(partial) : partial.startsWith(NOISE_START));

const self = fileURLToPath(import.meta.url);
const cli = self.replace(/internvl\.(ts|js)$/, 'internvl_cli.$1');
const child = spawn(process.execPath, [...process.execArgv, cli, ...process.argv.slice(2)], {
  stdio: ['inherit', 'inherit', 'pipe'],
  // Progress bars are drawn only on a terminal: tell the CLI what its stderr really is.
  env: { ...process.env, ...(process.stderr.isTTY && { INTERNVL_STDERR_COLUMNS: String(process.stderr.columns ?? 80) }) },
});

// Whole lines are checked; a partial line is passed on at once (progress bars redraw with \r), unless it could
// still become a Dawn warning.
let pending = '';
child.stderr.setEncoding('utf8');
child.stderr.on('data', (chunk: string) => {
  const lines = (pending + chunk).split('\n');
  pending = lines.pop()!;
  const kept = lines.filter((line) => !DAWN_NOISE.test(line));
  let out = kept.length ? kept.join('\n') + '\n' : '';
  if (!couldBeNoise(pending)) (out += pending), (pending = '');
  if (out) process.stderr.write(out);
});
child.stderr.on('end', () => pending && !DAWN_NOISE.test(pending) && process.stderr.write(pending));

// Ctrl-C reaches the child through the terminal's process group; the child decides how to end.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exitCode = code ?? 1;
});
