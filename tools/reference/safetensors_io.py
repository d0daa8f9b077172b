"""Minimal safetensors reader/writer for the PyTorch reference (no `safetensors` package needed).

Format: u64 little-endian header length N, N bytes of JSON
{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}, then the data block;
offsets are relative to the start of the data block. Tensors are little-endian, row-major.
"""
import json
import os
import struct

import torch

# safetensors dtype name -> (torch dtype, bytes per element)
DTYPES = {
    "F64": (torch.float64, 8),
    "F32": (torch.float32, 4),
    "F16": (torch.float16, 2),
    "BF16": (torch.bfloat16, 2),
    "I64": (torch.int64, 8),
    "I32": (torch.int32, 4),
    "I16": (torch.int16, 2),
    "I8": (torch.int8, 1),
    "U8": (torch.uint8, 1),
    "BOOL": (torch.bool, 1),
}
NAMES = {dt: name for name, (dt, _) in DTYPES.items()}


def read_header(path):
    """Returns (header dict without __metadata__, metadata dict, absolute offset of the data block)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n).decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    return header, meta, 8 + n


def bf16_bytes_to_f32(buf):
    """Independent BF16 decode: u16 bits << 16 are the float32 bits (used to cross-check torch.frombuffer)."""
    i16 = torch.frombuffer(buf, dtype=torch.int16).to(torch.int32)
    return ((i16 & 0xFFFF) << 16).view(torch.float32)


def _tensor_from_bytes(buf, dtype_name, shape):
    dt, size = DTYPES[dtype_name]
    n = 1
    for s in shape:
        n *= s
    if len(buf) != n * size:
        raise ValueError(f"byte size {len(buf)} != {n}*{size} for shape {shape}")
    if n == 0:
        return torch.empty(shape, dtype=dt)
    return torch.frombuffer(buf, dtype=dt).reshape(shape)


class SafeTensorsFile:
    """Lazy reader: tensors are read on demand from one file."""

    def __init__(self, path):
        self.path = path
        self.header, self.metadata, self.data_start = read_header(path)
        size = os.path.getsize(path)
        for name, info in self.header.items():
            b, e = info["data_offsets"]
            if info["dtype"] not in DTYPES:
                raise ValueError(f"{name}: unsupported dtype {info['dtype']}")
            if not (0 <= b <= e and self.data_start + e <= size):
                raise ValueError(f"{name}: data_offsets {b},{e} outside file ({size} bytes)")

    def keys(self):
        return list(self.header.keys())

    def info(self, name):
        return self.header[name]

    def get(self, name, dtype=None):
        info = self.header[name]
        b, e = info["data_offsets"]
        with open(self.path, "rb") as f:
            f.seek(self.data_start + b)
            buf = bytearray(f.read(e - b))
        t = _tensor_from_bytes(buf, info["dtype"], info["shape"])
        return t if dtype is None else t.to(dtype)


def load_file(path, dtype=None):
    f = SafeTensorsFile(path)
    return {k: f.get(k, dtype) for k in f.keys()}


def open_checkpoint(model_dir):
    """Returns {tensor name: SafeTensorsFile} for model.safetensors or a sharded index."""
    index = os.path.join(model_dir, "model.safetensors.index.json")
    single = os.path.join(model_dir, "model.safetensors")
    if os.path.exists(single):
        f = SafeTensorsFile(single)
        return {k: f for k in f.keys()}
    if os.path.exists(index):
        with open(index) as fh:
            weight_map = json.load(fh)["weight_map"]
        files = {}
        out = {}
        for name, fname in weight_map.items():
            if fname not in files:
                files[fname] = SafeTensorsFile(os.path.join(model_dir, fname))
            out[name] = files[fname]
        return out
    raise FileNotFoundError(f"no model.safetensors or model.safetensors.index.json in {model_dir}")


def save_file(tensors, path, metadata=None, dtype=None):
    """Writes tensors (dict name -> torch.Tensor) in insertion order. dtype: optional cast for floating tensors."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    off = 0
    for name, t in tensors.items():
        t = t.detach().cpu()
        if dtype is not None and t.is_floating_point():
            t = t.to(dtype)
        t = t.contiguous()
        if t.dtype not in NAMES:
            raise ValueError(f"{name}: unsupported dtype {t.dtype}")
        if t.dtype == torch.bfloat16:
            data = t.view(torch.int16).numpy().tobytes()
        else:
            data = t.numpy().tobytes()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * ((8 - len(hb) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for d in blobs:
            f.write(d)
    os.replace(tmp, path)
