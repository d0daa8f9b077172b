// A checkpoint = one model.safetensors, or shards listed by model.safetensors.index.json (weight_map: name → file).
// The result maps every tensor name to its header entry and the ByteSource holding its bytes.
import type { ByteSource } from './byte_source.js';
import type { ModelFiles } from './model_files.js';
import { parseSafetensorsHeader, type SafetensorsEntry } from './safetensors.js';

export interface CheckpointTensor extends SafetensorsEntry {
  readonly source: ByteSource;
}

export interface Checkpoint {
  readonly tensors: Map<string, CheckpointTensor>;
  /** The safetensors files opened, in weight_map order. */
  readonly files: readonly string[];
  /** Closes the underlying file handles (Node); a no-op for sources without one. */
  close(): Promise<void>;
}

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

export async function openCheckpoint(files: ModelFiles): Promise<Checkpoint> {
  const where = files.describe();
  const single = await files.open(SINGLE_FILE);
  if (single) return fromShards(new Map([[SINGLE_FILE, single]]), undefined, where);

  const indexText = await files.readText(INDEX_FILE);
  if (indexText === undefined) throw new Error(`${where}: neither ${SINGLE_FILE} nor ${INDEX_FILE} exists`);
  const weightMap = parseIndex(indexText, `${where}/${INDEX_FILE}`);
  const sources = new Map<string, ByteSource>();
  try {
    for (const file of new Set(weightMap.values())) {
      const source = await files.open(file);
      if (!source) throw new Error(`${where}/${INDEX_FILE}: shard ${file} does not exist`);
      sources.set(file, source);
    }
  } catch (e) {
    await closeAll(sources.values());
    throw e;
  }
  return fromShards(sources, weightMap, `${where}/${INDEX_FILE}`);
}

function parseIndex(text: string, file: string): Map<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const weightMap = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new Error(`${file}: weight_map is missing or not an object`);
  }
  const out = new Map<string, string>();
  for (const [name, shard] of Object.entries(weightMap)) {
    // A shard name is a sibling file: no directories, so an index cannot point outside the model.
    if (typeof shard !== 'string' || shard === '' || /[/\\]|^\.\.?$/.test(shard)) {
      throw new Error(`${file}: tensor ${name}: bad shard file name ${JSON.stringify(shard)}`);
    }
    out.set(name, shard);
  }
  return out;
}

async function fromShards(sources: Map<string, ByteSource>, weightMap: Map<string, string> | undefined, where: string): Promise<Checkpoint> {
  const tensors = new Map<string, CheckpointTensor>();
  try {
    for (const [file, source] of sources) {
      const header = await parseSafetensorsHeader(source);
      for (const entry of header.tensors.values()) {
        if (weightMap && weightMap.get(entry.name) !== file) {
          const listed = weightMap.get(entry.name);
          throw new Error(`${where}: tensor ${entry.name} is in ${file} but the index ${listed ? `puts it in ${listed}` : 'does not list it'}`);
        }
        tensors.set(entry.name, { ...entry, source });
      }
    }
    for (const [name, file] of weightMap ?? []) {
      if (!tensors.has(name)) throw new Error(`${where}: tensor ${name} is listed in ${file} but that file does not contain it`);
    }
  } catch (e) {
    await closeAll(sources.values());
    throw e;
  }
  return { tensors, files: [...sources.keys()], close: () => closeAll(sources.values()) };
}

async function closeAll(sources: Iterable<ByteSource>): Promise<void> {
  await Promise.all([...sources].map((s) => s.close?.()));
}
