// `internvl download REPO [--revision R]`: the model's files into the Hugging Face cache (HF_HOME, HF_ENDPOINT,
// HF_TOKEN as the HF tools read them), with a progress bar; prints the snapshot directory, as
// `huggingface-cli download` does, so `--model "$(internvl download REPO)"` works offline afterwards.
import { snapshotDownload } from '../node/hf_cache.js';
import { progressBar } from '../node/progress_bar.js';
import { type Command, type Parsed, UsageError } from './args.js';
import { stderr } from './common.js';

export const downloadCommand: Command = {
  name: 'download',
  summary: 'Download a model from the Hugging Face hub into the local cache and print its directory.',
  usage: 'REPO [--revision REV]',
  options: { revision: { type: 'string', value: 'REV', help: 'branch, tag or commit (default main)' } },
  run: download,
};

async function download(args: Parsed): Promise<void> {
  const [repo, ...extra] = args._;
  if (!repo || extra.length) throw new UsageError('give exactly one repo id, e.g. internvl download OpenGVLab/InternVL2-1B');
  const dir = await snapshotDownload(repo, { ...(args.revision !== undefined && { revision: args.revision as string }), onProgress: progressBar(stderr()) });
  process.stdout.write(`${dir}\n`);
}
