"""Serves a tiny model through llama.cpp's OpenAI-compatible server (the
`xllamacpp` wheel), on 127.0.0.1 and an ephemeral port, for the real-LLM
test (tests/llm_server.rs).

It writes the model (make_model.py) into DIR, starts the server, prints
`port N` on stdout once the server answers, and serves until its standard
input closes: the test holds the other end, so the server ends with the
test however the test ends, and no server outlives it.

Usage: serve.py DIR [--n-predict N]
"""

import argparse
import os
import sys

import xllamacpp

import make_model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument(
        "--n-predict",
        type=int,
        default=-1,
        help="the server's limit on output tokens (-1: none but the context)",
    )
    args = parser.parse_args()

    model = os.path.join(args.dir, "tiny.gguf")
    make_model.main(model)

    params = xllamacpp.CommonParams()
    params.model.path = model
    params.hostnames = ["127.0.0.1"]
    # Port 0: the system picks a free one, and the server says which.
    params.port = 0
    params.n_ctx = make_model.CONTEXT
    params.n_parallel = 2
    params.n_predict = args.n_predict
    # One thread: the model is tiny, and threads that spin waiting for each
    # other on a busy machine made each token 100 times slower.
    params.cpuparams.n_threads = 1
    params.cpuparams_batch.n_threads = 1
    server = xllamacpp.Server(params)

    address = server.listening_address
    port = address.rsplit(":", 1)[-1]
    print(f"port {port}", flush=True)

    # Serve until the test closes our standard input (or dies).
    sys.stdin.read()
    # The server's threads would hold a normal exit up.
    os._exit(0)


if __name__ == "__main__":
    main()
