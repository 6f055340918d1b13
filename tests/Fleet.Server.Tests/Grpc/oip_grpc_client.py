"""An Open Inference Protocol gRPC client made the way any Python user makes one: stubs generated with
grpc_tools.protoc from the public grpc_predict_v2.proto, then plain grpcio calls. Prints one JSON object.

usage: oip_grpc_client.py PROTO_DIR OUT_DIR ADDRESS MODEL API_KEY
"""
import json
import struct
import sys

from grpc_tools import protoc

proto_dir, out_dir, address, model, key = sys.argv[1:6]
if protoc.main(["protoc", f"-I{proto_dir}", f"--python_out={out_dir}", f"--grpc_python_out={out_dir}", "grpc_predict_v2.proto"]) != 0:
    sys.exit("protoc failed")
sys.path.insert(0, out_dir)

import grpc  # noqa: E402
import grpc_predict_v2_pb2 as pb  # noqa: E402
import grpc_predict_v2_pb2_grpc as pb_grpc  # noqa: E402

rows = [1.0, 2.0, 3.0, -1.0, 0.5, 0.25]
auth = [("authorization", f"Bearer {key}")]
result = {}
with grpc.insecure_channel(address) as channel:
    stub = pb_grpc.GRPCInferenceServiceStub(channel)
    result["live"] = stub.ServerLive(pb.ServerLiveRequest()).live

    raw = pb.ModelInferRequest(model_name=model, id="py-1")
    raw.inputs.add(name="x", datatype="FP32", shape=[2, 3])
    raw.raw_input_contents.append(struct.pack("<6f", *rows))
    answer = stub.ModelInfer(raw, metadata=auth)
    result["version"] = answer.model_version
    result["id"] = answer.id
    result["raw_scores"] = list(struct.unpack(f"<{len(answer.raw_output_contents[0]) // 4}f", answer.raw_output_contents[0]))

    typed = pb.ModelInferRequest(model_name=model)
    typed.inputs.add(name="x", datatype="FP32", shape=[2, 3]).contents.fp32_contents.extend(rows)
    typed.parameters["typed_output_contents"].bool_param = True
    result["typed_scores"] = list(stub.ModelInfer(typed, metadata=auth).outputs[0].contents.fp32_contents)

    try:
        stub.ModelInfer(raw)
        result["anonymous"] = "OK"
    except grpc.RpcError as e:
        result["anonymous"] = e.code().name
        result["anonymous_message"] = e.details()

print(json.dumps(result))
