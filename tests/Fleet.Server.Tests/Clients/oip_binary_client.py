#!/usr/bin/env python3
"""A Triton-style binary tensor extension client, from the public spec, with numpy and the standard library only.

Usage: oip_binary_client.py URL API_KEY CASES_JSON MODEL_FILE [--gzip]

Reads the inputs of one model's case from CASES_JSON ({"<file>": {"inputs": {name: {datatype, shape, data}}}}),
sends them as binary tensors (BYTES as 4-byte little-endian length-prefixed elements, as tritonclient's
serialize_byte_tensor does) with "binary_data_output": true, optionally gzip-compressed and asking for a gzip
answer, and prints the decoded outputs as JSON: {"content_type": ..., "outputs": {name: {datatype, shape, data}}}.
"""
import gzip
import json
import struct
import sys
import urllib.request

import numpy as np

NUMPY = {
    "BOOL": np.bool_, "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32, "UINT64": np.uint64,
    "INT8": np.int8, "INT16": np.int16, "INT32": np.int32, "INT64": np.int64,
    "FP16": np.float16, "FP32": np.float32, "FP64": np.float64,
}


def serialize(datatype, data):
    if datatype == "BYTES":
        out = bytearray()
        for item in data:
            raw = item.encode("utf-8")
            out += struct.pack("<I", len(raw)) + raw
        return bytes(out)
    return np.asarray(data, dtype=NUMPY[datatype]).astype(np.dtype(NUMPY[datatype]).newbyteorder("<")).tobytes()


def deserialize(datatype, shape, raw):
    if datatype == "BYTES":
        items, offset = [], 0
        while offset < len(raw):
            (length,) = struct.unpack_from("<I", raw, offset)
            offset += 4
            items.append(raw[offset:offset + length].decode("utf-8"))
            offset += length
        return items
    return np.frombuffer(raw, dtype=np.dtype(NUMPY[datatype]).newbyteorder("<")).reshape(shape).ravel().tolist()


def main():
    url, key, cases_path, model_file = sys.argv[1:5]
    compress = "--gzip" in sys.argv[5:]
    with open(cases_path, encoding="utf-8") as f:
        case = json.load(f)[model_file]

    inputs, tail = [], b""
    for name, tensor in case["inputs"].items():
        raw = serialize(tensor["datatype"], tensor["data"])
        inputs.append({"name": name, "datatype": tensor["datatype"], "shape": tensor["shape"],
                       "parameters": {"binary_data_size": len(raw)}})
        tail += raw
    header = json.dumps({"inputs": inputs, "parameters": {"binary_data_output": True}}).encode("utf-8")
    body = header + tail
    headers = {"Inference-Header-Content-Length": str(len(header)), "Content-Type": "application/octet-stream",
               "Authorization": "Bearer " + key}
    if compress:
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
        headers["Accept-Encoding"] = "gzip"

    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request) as response:
        answer = response.read()
        if response.headers.get("Content-Encoding") == "gzip":
            answer = gzip.decompress(answer)
        header_length = int(response.headers["Inference-Header-Content-Length"])
        content_type = response.headers.get("Content-Type")
        content_encoding = response.headers.get("Content-Encoding")

    result = json.loads(answer[:header_length])
    offset, outputs = header_length, {}
    for output in result["outputs"]:
        size = output["parameters"]["binary_data_size"]
        outputs[output["name"]] = {"datatype": output["datatype"], "shape": output["shape"],
                                   "data": deserialize(output["datatype"], output["shape"], answer[offset:offset + size])}
        offset += size
    if offset != len(answer):
        raise SystemExit(f"{len(answer) - offset} bytes left over after the outputs")
    print(json.dumps({"content_type": content_type, "content_encoding": content_encoding, "outputs": outputs}))


if __name__ == "__main__":
    main()
