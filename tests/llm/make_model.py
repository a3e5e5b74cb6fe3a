"""Writes a tiny llama-layout model in GGUF for the real-LLM test.

The weights are random, so the model's words mean nothing; what the test
needs is that llama.cpp loads it, chats with it through a ChatML template,
and that its replies are short, valid UTF-8 and end. llama.cpp's grammar
for a strict JSON Schema decides the shape of a reply; the weights only
pick among what the grammar allows. So the output embedding is biased:
one dimension of every token embedding is a large constant that survives
the (small) layers and the final norm, and each output row's weight on
that dimension decides how likely its token is, whatever the input. The
favoured tokens are lowercase letters (short ASCII strings), the closing
characters `"` (most of all), `]`, `}` and the end of the turn; bytes above 0x7F are
made unlikely, because a string cut inside a multi-byte character is
invalid UTF-8, which the server refuses with a 500.

Usage: make_model.py OUT.gguf
"""

import sys

import numpy as np
import gguf

WIDTH = 64
LAYERS = 2
HEADS = 4
FFN = 128
CONTEXT = 2048

# The vocabulary: four control tokens, then every byte.
SPECIALS = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"]
UNK, BOS, EOS, IM_START, IM_END = range(len(SPECIALS))
FIRST_BYTE = len(SPECIALS)

CHATML = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def byte_bias(byte):
    """How much the model wants to emit `byte`, on the constant dimension."""
    char = chr(byte)
    # The closing quote beats everything, or a greedy (temperature 0)
    # reply would fill a string with `]` until the context is full.
    if char == '"':
        return 4.0
    if char in "]}":
        return 3.0
    # A little below a letter, so that a recursive type (a child in a list,
    # a `next` that may be null) sometimes recurses when sampled, a level
    # deeper less often than not, and never when greedy.
    if char == "{":
        return 1.9
    if "a" <= char <= "z":
        return 2.0
    if byte < 0x80 and char.isprintable():
        return 0.0
    # Control characters and the bytes of multi-byte characters.
    return -8.0


def main(path):
    rng = np.random.default_rng(9)
    vocab = len(SPECIALS) + 256

    writer = gguf.GGUFWriter(path, "llama")
    writer.add_name("flow-test-tiny")
    writer.add_context_length(CONTEXT)
    writer.add_embedding_length(WIDTH)
    writer.add_block_count(LAYERS)
    writer.add_feed_forward_length(FFN)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(HEADS)
    writer.add_rope_dimension_count(WIDTH // HEADS)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)

    tokens = SPECIALS + [f"<0x{b:02X}>" for b in range(256)]
    types = [gguf.TokenType.UNKNOWN] + [gguf.TokenType.CONTROL] * 4
    types += [gguf.TokenType.BYTE] * 256
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([0.0] * vocab)
    writer.add_token_types(types)
    writer.add_unk_token_id(UNK)
    writer.add_bos_token_id(BOS)
    writer.add_eos_token_id(IM_END)
    writer.add_add_bos_token(False)
    writer.add_add_space_prefix(False)
    writer.add_chat_template(CHATML)

    def small(*shape):
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    # Dimension 0 of every embedding is the constant the bias rides on.
    embedding = small(vocab, WIDTH)
    embedding[:, 0] = 1.0
    writer.add_tensor("token_embd.weight", embedding)
    writer.add_tensor("output_norm.weight", np.ones(WIDTH, dtype=np.float32))
    output = small(vocab, WIDTH)
    bias = np.full(vocab, -8.0, dtype=np.float32)
    bias[IM_END] = 2.5
    for byte in range(256):
        bias[FIRST_BYTE + byte] = byte_bias(byte)
    # After the norm, dimension 0 is about sqrt(WIDTH): scale the bias so
    # that the logits differ by the numbers above.
    output[:, 0] = bias / np.sqrt(WIDTH)
    writer.add_tensor("output.weight", output)
    for layer in range(LAYERS):
        block = f"blk.{layer}"
        writer.add_tensor(f"{block}.attn_norm.weight", np.ones(WIDTH, dtype=np.float32))
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            writer.add_tensor(f"{block}.{name}.weight", small(WIDTH, WIDTH))
        writer.add_tensor(f"{block}.ffn_norm.weight", np.ones(WIDTH, dtype=np.float32))
        writer.add_tensor(f"{block}.ffn_gate.weight", small(FFN, WIDTH))
        writer.add_tensor(f"{block}.ffn_up.weight", small(FFN, WIDTH))
        writer.add_tensor(f"{block}.ffn_down.weight", small(WIDTH, FFN))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_model.py OUT.gguf")
    main(sys.argv[1])
