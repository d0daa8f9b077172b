// ModelFiles over File objects: a local model folder chosen with <input type="file" webkitdirectory> (every
// browser) or dropped. Paths are relative to the chosen folder; nothing is copied, reads are Blob slices.
import { blobSource } from './byte_source.js';
import type { ModelFiles } from './model_files.js';

export function fileListFiles(list: ArrayLike<File>): ModelFiles {
  const byPath = new Map<string, File>();
  let folder = '';
  for (const file of Array.from(list)) {
    const rel = (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name;
    const parts = rel.split('/');
    if (parts.length > 1) folder = parts[0]!;
    byPath.set(parts.length > 1 ? parts.slice(1).join('/') : rel, file);
  }
  return {
    describe: () => `local folder "${folder || '(files)'}" (${byPath.size} files)`,
    async open(name) {
      const file = byPath.get(name);
      return file ? blobSource(name, file) : undefined;
    },
    async readText(name) {
      return byPath.get(name)?.text();
    },
  };
}
