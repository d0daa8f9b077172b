// SentencePiece's tokenizer.model: a serialized ModelProto (sentencepiece_model.proto). Reads the fields the
// BPE encoder and the decoder use, with the proto's defaults for absent ones, and checks the model the way
// SentencePieceProcessor::Load does (model_interface.cc InitializePieces) plus what this implementation
// supports: BPE only, and no precompiled normalization charsmap (the identity normalizer).
import { ProtoReader, WIRE } from './protobuf.js';

/** ModelProto.SentencePiece.Type. */
export const PIECE_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;
/** TrainerSpec.ModelType. */
export const MODEL_TYPE = { unigram: 1, bpe: 2, word: 3, char: 4 } as const;

export interface SentencePiece {
  readonly piece: string;
  /** float32 in the file; BPE merges the adjacent pair whose concatenation scores highest. */
  readonly score: number;
  readonly type: number;
}

export interface TrainerSpec {
  readonly modelType: number;
  readonly byteFallback: boolean;
  readonly treatWhitespaceAsSuffix: boolean;
  readonly unkPiece: string;
  readonly bosPiece: string;
  readonly eosPiece: string;
  /** What an `<unk>` id decodes to (default " ⁇ "). */
  readonly unkSurface: string;
}

export interface NormalizerSpec {
  readonly name: string;
  readonly precompiledCharsmap: Uint8Array;
  readonly addDummyPrefix: boolean;
  readonly removeExtraWhitespaces: boolean;
  readonly escapeWhitespaces: boolean;
}

export interface SentencePieceModel {
  readonly pieces: readonly SentencePiece[];
  readonly trainerSpec: TrainerSpec;
  readonly normalizerSpec: NormalizerSpec;
  /** Present only when the file has a denormalizer_spec. */
  readonly denormalizerSpec?: NormalizerSpec;
  /** Whether the file had a trainer_spec at all (absent: every default, model_type UNIGRAM). */
  readonly hasTrainerSpec: boolean;
}

const MODEL_TYPE_NAMES: Record<number, string> = { 1: 'UNIGRAM', 2: 'BPE', 3: 'WORD', 4: 'CHAR' };

function readPiece(r: ProtoReader): SentencePiece {
  let piece = '';
  let score = 0;
  let type: number = PIECE_TYPE.normal;
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1) r.expect(wire, WIRE.lengthDelimited, 'piece'), (piece = r.string());
    else if (field === 2) r.expect(wire, WIRE.fixed32, 'score'), (score = r.float());
    else if (field === 3) r.expect(wire, WIRE.varint, 'type'), (type = r.int32());
    else r.skip(wire);
  }
  return { piece, score, type };
}

function readTrainerSpec(r: ProtoReader): TrainerSpec {
  const spec = {
    modelType: MODEL_TYPE.unigram as number,
    byteFallback: false,
    treatWhitespaceAsSuffix: false,
    unkPiece: '<unk>',
    bosPiece: '<s>',
    eosPiece: '</s>',
    unkSurface: ' \u2047 ',
  };
  while (!r.done()) {
    const { field, wire } = r.tag();
    const str = (name: string) => (r.expect(wire, WIRE.lengthDelimited, name), r.string());
    const flag = (name: string) => (r.expect(wire, WIRE.varint, name), r.bool());
    if (field === 3) r.expect(wire, WIRE.varint, 'model_type'), (spec.modelType = r.int32());
    else if (field === 35) spec.byteFallback = flag('byte_fallback');
    else if (field === 24) spec.treatWhitespaceAsSuffix = flag('treat_whitespace_as_suffix');
    else if (field === 45) spec.unkPiece = str('unk_piece');
    else if (field === 46) spec.bosPiece = str('bos_piece');
    else if (field === 47) spec.eosPiece = str('eos_piece');
    else if (field === 44) spec.unkSurface = str('unk_surface');
    else r.skip(wire);
  }
  // ModelInterface::unk_piece() etc. fall back to the defaults when the field is set but empty.
  if (spec.unkPiece === '') spec.unkPiece = '<unk>';
  if (spec.bosPiece === '') spec.bosPiece = '<s>';
  if (spec.eosPiece === '') spec.eosPiece = '</s>';
  return spec;
}

function readNormalizerSpec(r: ProtoReader): NormalizerSpec {
  const spec = {
    name: '',
    precompiledCharsmap: new Uint8Array(0) as Uint8Array,
    addDummyPrefix: true,
    removeExtraWhitespaces: true,
    escapeWhitespaces: true,
  };
  while (!r.done()) {
    const { field, wire } = r.tag();
    const flag = (name: string) => (r.expect(wire, WIRE.varint, name), r.bool());
    if (field === 1) r.expect(wire, WIRE.lengthDelimited, 'name'), (spec.name = r.string());
    else if (field === 2) r.expect(wire, WIRE.lengthDelimited, 'precompiled_charsmap'), (spec.precompiledCharsmap = r.bytesField());
    else if (field === 3) spec.addDummyPrefix = flag('add_dummy_prefix');
    else if (field === 4) spec.removeExtraWhitespaces = flag('remove_extra_whitespaces');
    else if (field === 5) spec.escapeWhitespaces = flag('escape_whitespaces');
    else r.skip(wire);
  }
  return spec;
}

/** Parses a tokenizer.model; `name` (the file, or where it came from) prefixes every error. */
export function parseSentencePieceModel(bytes: Uint8Array, name = 'tokenizer.model'): SentencePieceModel {
  const r = new ProtoReader(bytes, name);
  const pieces: SentencePiece[] = [];
  let trainerSpec: TrainerSpec | undefined;
  let normalizerSpec: NormalizerSpec | undefined;
  let denormalizerSpec: NormalizerSpec | undefined;
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field >= 1 && field <= 5 && field !== 4) r.expect(wire, WIRE.lengthDelimited, `ModelProto.${field}`);
    if (field === 1) pieces.push(readPiece(r.message()));
    else if (field === 2) trainerSpec = readTrainerSpec(r.message());
    else if (field === 3) normalizerSpec = readNormalizerSpec(r.message());
    else if (field === 5) denormalizerSpec = readNormalizerSpec(r.message());
    else r.skip(wire);
  }
  const model: SentencePieceModel = {
    pieces,
    trainerSpec: trainerSpec ?? readTrainerSpec(new ProtoReader(new Uint8Array(0), name)),
    normalizerSpec: normalizerSpec ?? readNormalizerSpec(new ProtoReader(new Uint8Array(0), name)),
    ...(denormalizerSpec && { denormalizerSpec }),
    hasTrainerSpec: trainerSpec !== undefined,
  };
  checkModel(model, name);
  return model;
}

/** "<0x41>" → 0x41; -1 for anything else (PieceToByte: exactly the 256 upper-case spellings). */
export function pieceToByte(piece: string): number {
  const m = /^<0x([0-9A-F]{2})>$/.exec(piece);
  return m ? parseInt(m[1]!, 16) : -1;
}

function checkModel(model: SentencePieceModel, name: string): void {
  const bad = (what: string): never => {
    throw new Error(`${name}: ${what}`);
  };
  if (model.pieces.length === 0) bad('not a SentencePiece model (no pieces)');
  if (!model.hasTrainerSpec) bad('not a complete SentencePiece model (no trainer_spec; truncated file?)');
  const { trainerSpec: trainer, normalizerSpec: normalizer } = model;
  if (trainer.modelType !== MODEL_TYPE.bpe) {
    bad(`model_type ${MODEL_TYPE_NAMES[trainer.modelType] ?? trainer.modelType} is not supported (only BPE)`);
  }
  // The normalizer applies precompiled_charsmap whatever its name says; without one it is the identity.
  if (normalizer.precompiledCharsmap.length > 0) {
    bad(`normalizer "${normalizer.name}" (a precompiled charsmap of ${normalizer.precompiledCharsmap.length} bytes) is not supported: only the identity normalizer`);
  }
  if (model.denormalizerSpec && model.denormalizerSpec.precompiledCharsmap.length > 0) {
    bad(`denormalizer "${model.denormalizerSpec.name}" is not supported`);
  }
  if (trainer.treatWhitespaceAsSuffix) bad('treat_whitespace_as_suffix is not supported');
  const normal = new Set<string>();
  const reserved = new Set<string>();
  const bytes = new Set<number>();
  let unknowns = 0;
  model.pieces.forEach((p, id) => {
    if (p.piece === '') bad(`piece ${id} is empty`);
    if (p.type < PIECE_TYPE.normal || p.type > PIECE_TYPE.byte) bad(`piece ${id} has unknown type ${p.type}`);
    const isNormal = p.type === PIECE_TYPE.normal || p.type === PIECE_TYPE.userDefined || p.type === PIECE_TYPE.unused;
    const set = isNormal ? normal : reserved;
    if (set.has(p.piece)) bad(`piece ${JSON.stringify(p.piece)} is defined twice`);
    set.add(p.piece);
    if (p.type === PIECE_TYPE.unknown) unknowns++;
    if (p.type === PIECE_TYPE.byte) {
      if (!trainer.byteFallback) bad(`byte piece ${p.piece} although byte_fallback is false`);
      const b = pieceToByte(p.piece);
      if (b < 0) bad(`byte piece ${JSON.stringify(p.piece)} is invalid`);
      bytes.add(b);
    }
  });
  if (unknowns !== 1) bad(unknowns === 0 ? 'no <unk> piece' : 'more than one UNKNOWN piece');
  if (trainer.byteFallback && bytes.size !== 256) bad(`byte_fallback is true but there are ${bytes.size} byte pieces, not 256`);
}
