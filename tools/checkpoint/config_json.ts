// config.json text as transformers 4.37 wrote InternVL2-1B's: indent 2, keys in the given order (the official
// file is not fully sorted), floats in Python repr ("0.0", "1e-06") — tools/python_json.ts without key sorting.
import { type PyJson, PyFloat, pythonFloatRepr, pythonJsonDumps } from '../python_json.js';

export type ConfigJson = PyJson;
export { PyFloat, pythonFloatRepr };

export function configJsonText(value: ConfigJson): string {
  return pythonJsonDumps(value, { sortKeys: false });
}
